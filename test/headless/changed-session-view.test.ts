// What imapdbg changed shows apart from what the peers sent: headless and `export --format text`
// print injected bytes as P>C:/P>S: lines and mark dropped frames with an `xx` line naming the rule;
// the TUI marks the frame with a badge and its detail names the change and its source. Peers'
// text is escaped and bounded on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProxyEvent } from '../../src/imap/events';
import { eventLine } from '../../src/imap/notation';
import { renderScreen } from '../../src/tui/render/screen-layout';
import { handleKey } from '../../src/tui/view-model/key-actions';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { changedSessionEvents } from '../capture/changed-session';
import { tmpDir, writePcapng } from '../capture/pcapng/pcapng-support';
import { runCli } from '../fixtures-tools/run-cli';

function lines(events: ProxyEvent[]): string[] {
  return events.flatMap((e) => {
    const l = eventLine(e, { revealSecrets: false, utc: true, maxLineChars: 1000 });
    return l === undefined ? [] : [l.replace(/^\d\d:\d\d:\d\d\.\d{6} /, '')];
  });
}

test('headless lines: C:/S: for the peers, xx after a dropped frame, P>C: for injected bytes', () => {
  const { events, frames } = changedSessionEvents();
  const out = lines(events);
  const noopSeq = frames.find((f) => f.verb === 'NOOP')?.seq;
  const existsSeq = frames.find((f) => f.verb === 'EXISTS' && f.timeUs > (frames.find((g) => g.verb === 'IDLE')?.timeUs ?? 0))?.seq;
  const at = (re: RegExp): number => out.findIndex((l) => re.test(l));
  assert.equal(at(/^#7 xx dropped by rule 1: drop ~dir c ~c NOOP/), at(/^#7 C: a3 NOOP/) + 1, out.join('\n'));
  assert.ok(out.includes(`#7 xx dropped by rule 1: drop ~dir c ~c NOOP (frame ${noopSeq}, toward the server): a3 NOOP`), out.join('\n'));
  assert.ok(out.includes(`#7 xx dropped by rule 2: drop ~dir s EXISTS (frame ${existsSeq}, toward the client): * 3 EXISTS`), out.join('\n'));
  assert.ok(out.includes("#7 P>C: * BYE imapdbg says bye  [injected by rule 3: inject '* BYE imapdbg says bye' after 5s in IDLE, 24 bytes]"), out.join('\n'));
  assert.ok(out.includes("#7 xx closed by rule 3: inject '* BYE imapdbg says bye' after 5s in IDLE (toward the client): close both"), out.join('\n'));
  // The server's own lines stay S:, and no S: line claims the BYE.
  assert.ok(out.some((l) => l.startsWith('#7 S: * 3 EXISTS')));
  assert.ok(!out.some((l) => l.startsWith('#7 S: * BYE')));
});

test('a change line escapes terminal controls and is bounded', () => {
  const hostile = `\x1b]0;owned\x07${'A'.repeat(100_000)}`;
  const line = eventLine({ type: 'intervention', session: 1, timeUs: 1, intervention: {
    action: 'inject', toward: 'server', detail: hostile, source: { kind: 'script', file: `x\x1b[2J.js`, hook: 'onFrame' } } },
  { revealSecrets: false, utc: true }) ?? '';
  assert.doesNotMatch(line, /\x1b|\x07/);
  assert.match(line, /P>S: \\x1b\]0;owned\\x07A+\.\.\. {2}\[injected by script x\\x1b\[2J\.js:onFrame\]/);
  assert.ok(line.length < 600, `${line.length}`);
});

test('export --format text of a recorded changed session prints the same marks', async () => {
  const dir = tmpDir();
  try {
    const { events } = changedSessionEvents();
    const file = path.join(dir, 'changed.pcapng');
    await writePcapng(file, events);
    const r = await runCli(['export', file, '--utc']);
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{6} /, ''));
    assert.deepEqual(got, lines(events).filter((l) => !l.includes(' !! ')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TUI: a dropped frame carries a badge naming the rule; its detail names the change', () => {
  const m = new TuiModel({ source: { mode: 'file', title: 'changed' }, revealSecrets: false, utc: true, now: () => 0 });
  const { events } = changedSessionEvents();
  for (const e of events) m.handle(e);
  const screen = (): string => renderScreen(m, 160, 40).lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '').replace(/\{[^}]*\}/g, '');
  handleKey(m, 'enter'); // the session's frames
  const list = screen();
  assert.match(list, /S: \* 3 EXISTS.*✗drop r2/, list);
  assert.match(list, /C: a3 NOOP.*✗drop r1/, list);
  // The EXISTS is the session's last frame: the injection and the close after it are marked there too.
  assert.match(list, /S: \* 3 EXISTS.*✗drop r2 \+inject r3 ~close r3/, list);
  handleKey(m, 'G');
  handleKey(m, 'enter');
  const detail = screen();
  assert.match(detail, /changed by imapdbg: xx dropped by rule 2: drop ~dir s EXISTS/, detail);
  assert.match(detail, /changed by imapdbg: P>C: \* BYE imapdbg says bye/, detail);
});
