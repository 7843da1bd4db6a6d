// The TUI's side of intercept: `i` sets the filter, held frames are marked and counted, and
// r / d / e / H act on them, driven through the model as the terminal layer drives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Interceptor } from '../../src/lab/intercept-stage';
import type { FrameVerdict } from '../../src/lab/frame-stage';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import { renderScreen } from '../../src/tui/render/screen-layout';
import { handleKey, KEY_HELP, type KeyOutcome } from '../../src/tui/view-model/key-actions';
import { applyEdit } from '../../src/tui/view-model/intercept-actions';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { editHeldFrame, editorCommand } from '../../src/tui/held-frame-editor';
import { terminalHazards } from '../hostile/terminal-hazards';
import { makeFrame, sampleConversation } from './frame-samples';
import { spawnSync } from 'node:child_process';

function live(intercept: Interceptor | undefined, revealSecrets = false): TuiModel {
  const m = new TuiModel({ source: { mode: 'live', title: '127.0.0.1:1143' }, revealSecrets, utc: true, now: () => 0, intercept });
  for (const id of [1, 2]) m.handle({ type: 'session-open', session: { id, startUs: 1, client: `127.0.0.1:${5000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  return m;
}

/** What the executor does with a frame: publish it, then ask the stage; returns the hold's promise, if held. */
function arrive(m: TuiModel, i: Interceptor, frame: Frame): Promise<FrameVerdict> | undefined {
  m.handle({ type: 'frame', frame });
  const text = frameText(frame, { revealSecrets: true });
  const bytes = Buffer.from(`${frame.parts[0].type === 'line' ? frame.parts[0].line.text : ''}\r\n`, 'latin1');
  const result = i.stage.onFrame(frame, bytes, { session: frame.session, inIdle: false, text: () => text });
  return result.verdict.kind === 'hold' ? result.verdict.until : undefined;
}

function keys(m: TuiModel, ...list: string[]): KeyOutcome {
  let last: KeyOutcome;
  for (const k of list) last = handleKey(m, k);
  return last;
}

/** The status message lasts until the next key; the hints show once it is gone. */
function clearMessage(m: TuiModel): void {
  m.message = undefined;
}

const screen = (m: TuiModel): string => renderScreen(m, 120, 30).lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');

test('i opens the intercept prompt; Enter sets the filter; a bad one reports its column and keeps the old one', () => {
  const i = new Interceptor();
  const m = live(i);
  keys(m, 'i');
  assert.equal(m.prompt?.kind, 'intercept');
  assert.match(screen(m), /^intercept: /m);
  keys(m, ...'~c FETCH', 'enter');
  assert.equal(i.filterSource, '~c FETCH');
  assert.match(m.message?.text ?? '', /intercept ~c FETCH: matching frames are held/);
  assert.match(screen(m), /HELD 0 \(intercept ~c FETCH\)/);
  keys(m, 'i');
  assert.equal(m.prompt?.text, '~c FETCH', 'the prompt starts from the filter in force');
  keys(m, '&', 'enter');
  assert.equal(m.message?.error, true);
  assert.match(m.message?.text ?? '', /intercept filter error at column 10/);
  assert.equal(i.filterSource, '~c FETCH');
});

test('i on a capture (no proxy) says intercept is live only', () => {
  const m = live(undefined);
  keys(m, 'i');
  assert.equal(m.prompt, undefined);
  assert.match(m.message?.text ?? '', /intercept works while proxying/);
});

test('held frames are marked HELD and counted; r forwards, d drops, other sessions flow', async () => {
  const i = new Interceptor();
  const m = live(i);
  keys(m, 'i', ...'~c FETCH', 'enter');
  const conv = sampleConversation(1).slice(0, 11);
  for (const f of conv) assert.equal(arrive(m, i, f), undefined);
  const command = arrive(m, i, makeFrame(1, 12, 'client', 'command', 'a4 FETCH 4 BODY[]'));
  const response = arrive(m, i, makeFrame(1, 13, 'server', 'untagged', '* 4 FETCH (FLAGS ())'));
  assert.ok(command && response);
  assert.equal(arrive(m, i, makeFrame(2, 1, 'server', 'greeting', '* OK other session', { verb: 'OK' })), undefined);
  keys(m, 'a');
  assert.match(screen(m), /HELD 2 \(intercept ~c FETCH\)/);
  const rows = screen(m).split('\n').filter((l) => /#1 [CS]: .*FETCH.* HELD$/.test(l.trimEnd()));
  assert.equal(rows.length, 2, screen(m));
  // The cursor follows to the newest frame: session 2's greeting, not held.
  keys(m, 'r');
  assert.match(m.message?.text ?? '', /this frame is not held \(H goes to the next held frame\)/);
  assert.doesNotMatch(screen(m), /HELD frame:/);
  keys(m, 'H');
  assert.equal(m.store.frame(m.frames?.selected ?? -1).seq, 12);
  clearMessage(m);
  assert.match(screen(m), /HELD frame: r forward {2}d drop {2}e edit/, 'the hints name the keys on a held frame');
  keys(m, 'r');
  assert.deepEqual(await command, { kind: 'forward' });
  assert.match(m.message?.text ?? '', /frame 12 of session #1 forwarded/);
  keys(m, 'H', 'd');
  const dropped = await response;
  assert.equal(dropped.kind, 'drop');
  assert.equal(i.count, 0);
  assert.doesNotMatch(screen(m), /HELD FETCH|FETCH.*HELD/);
  assert.match(screen(m), /HELD 0/);
});

test('H from the sessions screen opens all frames on the held one; Esc, clearing the filter releases everything', async () => {
  const i = new Interceptor();
  const m = live(i);
  i.setFilter('~s 2');
  const held = arrive(m, i, makeFrame(2, 1, 'server', 'greeting', '* OK hi', { verb: 'OK' }));
  arrive(m, i, makeFrame(1, 1, 'server', 'greeting', '* OK one', { verb: 'OK' }));
  assert.equal(m.screen, 'sessions');
  keys(m, 'H');
  assert.equal(m.screen, 'frames');
  assert.equal(m.frames?.session, undefined);
  assert.equal(m.store.frame(m.frames?.selected ?? -1).session, 2);
  keys(m, 'i');
  m.prompt = { kind: 'intercept', text: '' };
  keys(m, 'enter');
  assert.match(m.message?.text ?? '', /intercept off: 1 held frames forwarded/);
  assert.deepEqual(await held, { kind: 'forward' });
  assert.doesNotMatch(screen(m), /HELD/);
});

test('e asks the terminal layer to edit; a frame with a secret is refused unless secrets are revealed', () => {
  const i = new Interceptor();
  const m = live(i);
  i.setFilter('~dir c');
  const login = makeFrame(1, 2, 'client', 'command', 'a1 LOGIN alice secret');
  login.secrets = [{ part: 0, start: 15, end: 21 }];
  arrive(m, i, login);
  keys(m, 'a');
  assert.equal(keys(m, 'e'), undefined);
  assert.match(m.message?.text ?? '', /carries a secret .* --reveal-secrets/);
  const revealed = live(i, true);
  revealed.handle({ type: 'frame', frame: login });
  keys(revealed, 'a');
  const outcome = keys(revealed, 'e');
  assert.ok(outcome && outcome !== 'quit');
  assert.equal(outcome.held.seq, 2);
});

test('applyEdit: bytes are sent as an edit; cancel, unchanged and errors leave the frame held', async () => {
  const i = new Interceptor();
  const m = live(i);
  i.setFilter('~dir s');
  const until = arrive(m, i, makeFrame(1, 3, 'server', 'untagged', '* 3 EXISTS'));
  const held = i.list()[0];
  applyEdit(m, held, { kind: 'cancel' });
  applyEdit(m, held, { kind: 'unchanged' });
  applyEdit(m, held, { kind: 'error', message: 'bad' });
  assert.match(m.message?.text ?? '', /edit not sent: bad; frame 3 of session #1 is still held/);
  assert.equal(i.count, 1);
  applyEdit(m, held, { kind: 'bytes', bytes: Buffer.from('* 4 EXISTS\r\n') });
  const verdict = await until;
  assert.equal(verdict?.kind === 'replace' ? verdict.bytes.toString() : verdict?.kind, '* 4 EXISTS\r\n');
  applyEdit(m, held, { kind: 'bytes', bytes: Buffer.from('x\r\n') });
  assert.match(m.message?.text ?? '', /no longer held/);
});

test('the help screen lists the intercept keys', () => {
  const text = KEY_HELP.map(([k, what]) => `${k} ${what}`).join('\n');
  assert.match(text, /^i intercept/m);
  assert.match(text, /r \/ d \/ e on a HELD frame: forward it \/ drop it \/ edit it in \$EDITOR/);
  assert.match(text, /H the next held frame/);
});

test('a held frame from a hostile peer is shown escaped', () => {
  const i = new Interceptor();
  const m = live(i);
  i.setFilter('~dir s');
  const evil = '\x1b]0;t\x07\x9b31m\u202e';
  arrive(m, i, makeFrame(1, 1, 'server', 'untagged', `* 1 FETCH (X ${evil})`));
  keys(m, 'H');
  const s = screen(m);
  assert.match(s, /HELD/);
  assert.deepEqual(terminalHazards(s), []);
});

test('the editor: a private temporary file with the frame, read back and removed; a failing editor cancels', async () => {
  const i = new Interceptor();
  i.setFilter('~dir s');
  const literal = 'Hello\r\n';
  const frame = makeFrame(1, 5, 'server', 'untagged', `* 1 FETCH (BODY[] {${literal.length}}`, { literals: [literal.length] });
  frame.parts.push({ type: 'line', line: { text: ')', length: 3, offset: 0, truncated: false, ending: 'crlf' } });
  const bytes = Buffer.from(`* 1 FETCH (BODY[] {${literal.length}}\r\n${literal})\r\n`, 'latin1');
  i.stage.onFrame(frame, bytes, { session: 1, inIdle: false, text: () => '' });
  const held = i.list()[0];
  let seen = '';
  const outcome = await editHeldFrame(held, async (file) => {
    seen = file;
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(file.replace(/\/[^/]*$/, '')).mode & 0o777, 0o700);
    fs.writeFileSync(file, fs.readFileSync(file, 'latin1').replace('Hello', 'Goodbye'), 'latin1');
    return true;
  });
  assert.equal(fs.existsSync(seen), false);
  assert.equal(fs.existsSync(seen.replace(/\/[^/]*$/, '')), false, 'the directory is gone too');
  assert.deepEqual(outcome, { kind: 'bytes', bytes: Buffer.from('* 1 FETCH (BODY[] {9}\r\nGoodbye\r\n)\r\n', 'latin1') });
  assert.deepEqual(await editHeldFrame(held, async (file) => { fs.writeFileSync(file, 'junk'); return false; }), { kind: 'cancel' });
});

test('$EDITOR with arguments runs through sh with the file as "$1"; vi without it', () => {
  assert.deepEqual(editorCommand({}).args('/t/f'), ['-c', 'vi "$1"', 'imapdbg-edit', '/t/f']);
  const cmd = editorCommand({ EDITOR: 'printf %s:' });
  const out = spawnSync(cmd.file, cmd.args('/tmp/a file; rm -rf x'), { encoding: 'utf8' });
  assert.equal(out.stdout, '/tmp/a file; rm -rf x:', 'the file name is one argument, never parsed by sh');
});
