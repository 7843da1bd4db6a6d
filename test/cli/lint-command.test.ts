// `imapdbg lint` and `imapdbg stats` run as a user would, on captures written in the real format.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureWriter } from '../../src/capture/capture-writer';
import type { ProxyEvent } from '../../src/imap/events';
import { runCli } from '../fixtures-tools/run-cli';
import { transcript } from '../imap/transcript';

let dir: string;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-lint-')); });
after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0) * 1000;

/** A capture of one session whose bytes are the dialog, a step per millisecond, plus extra records. */
async function writeCapture(name: string, dialog: string, extra: ProxyEvent[] = []): Promise<string> {
  const file = path.join(dir, name);
  const w = new CaptureWriter(file, 'imapdbg test', T0);
  w.handle({ type: 'session-open', session: { id: 1, startUs: T0, client: '127.0.0.1:50000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  const steps = transcript(dialog);
  steps.forEach((s, i) => w.handle({ type: 'data', session: 1, direction: s.direction, timeUs: T0 + i * 1000, bytes: s.bytes, layer: 'wire' }));
  for (const e of extra) w.handle(e);
  w.handle({ type: 'session-close', session: 1, timeUs: T0 + steps.length * 1000, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: 0 });
  await w.close();
  return file;
}

const IDLE_DIALOG = `
  S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
  C: a1 LOGIN alice s3cret-pw
  S: a1 OK done
  C: a2 IDLE
  S: + idling
  S: * OK Still here
  C: a3 NOOP
  S: a2 BAD Expected DONE
  C: a4 LOGOUT
  S: * BYE bye
  S: a4 OK done
`;

test('lint prints each finding with the frame that revealed it, exits 1 on an error', async () => {
  const file = await writeCapture('idle.imapcap', IDLE_DIALOG);
  const r = await runCli(['lint', file, '--utc']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, [
    '12:00:00.005000 #1 info idle-keepalive (RFC 3501 7.1.1): untagged OK 2.0 ms into IDLE a2: a keepalive, not a mailbox update (frame 6)',
    '    12:00:00.005000 #1 S: * OK Still here',
    '12:00:00.006000 #1 error command-during-idle (RFC 2177 3): a3 NOOP sent while the server waits for DONE to end IDLE a2; the server will not read it as a command (frame 7)',
    '    12:00:00.006000 #1 C: a3 NOOP',
    '12:00:00.007000 #1 error idle-ended-before-done (RFC 2177 3): the server ended IDLE a2 with BAD before the client sent DONE (frame 8)',
    '    12:00:00.007000 #1 S: a2 BAD Expected DONE',
    '2 errors, 0 warnings, 1 info in 1 session',
    '',
  ].join('\n'));
  const errors = await runCli(['lint', file, '--level', 'error']);
  assert.doesNotMatch(errors.stdout, /idle-keepalive \(/);
  assert.match(errors.stdout, /2 errors, 0 warnings, 1 info in 1 session/);
});

test('lint exits 0 on a clean capture; findings are derived from the bytes, not from recorded frames', async () => {
  const forged: ProxyEvent = { type: 'frame', frame: {
    session: 1, seq: 1, direction: 'server', kind: 'greeting', timeUs: T0, endUs: T0, offset: 0, length: 0, parts: [], secrets: [],
    annotations: [{ kind: 'finding', finding: { level: 'error', code: 'made-up', rfc: 'RFC 0 0', message: 'recorded, not derived' } }],
  } };
  const file = await writeCapture('clean.imapcap', `
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: a1 IDLE
    S: + idling
    C: DONE
    S: a1 OK done
  `, [forged]);
  const r = await runCli(['lint', file]);
  assert.equal(r.code, 0, r.stdout);
  assert.equal(r.stdout, '0 errors, 0 warnings, 0 info in 1 session\n');
});

test('lint keeps findings only the proxy could see (an unreachable upstream), which reframing cannot re-derive', async () => {
  const file = await writeCapture('unreachable.imapcap', '', [{ type: 'finding', session: 1, timeUs: T0, finding: {
    level: 'error', code: 'upstream-unreachable', rfc: 'RFC 3501 7.1.5', message: 'imapdbg sent * BYE: cannot connect' } }]);
  const r = await runCli(['lint', file, '--utc']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^12:00:00\.000000 #1 error upstream-unreachable \(RFC 3501 7\.1\.5\): imapdbg sent \* BYE: cannot connect \(at session end\)$/m);
});

test('bad input: no file, a missing file, not a capture: one line on stderr, exit 2', async () => {
  const none = await runCli(['lint']);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, 'imapdbg: lint needs a capture FILE (or --rules to list the rules)\n');
  const missing = await runCli(['lint', path.join(dir, 'nope.imapcap')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^imapdbg: cannot read capture .*nope\.imapcap: ENOENT.*\n$/);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'hello\n');
  for (const cmd of ['lint', 'stats']) {
    const bad = await runCli([cmd, text]);
    assert.equal(bad.code, 2, cmd);
    assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
  }
  const level = await runCli(['lint', text, '--level', 'fatal']);
  assert.equal(level.code, 2);
});

test('a capture cut off mid-record (killed writer) is linted up to its last complete record', async () => {
  const file = await writeCapture('cut.imapcap', IDLE_DIALOG);
  const content = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, content.slice(0, content.length - 20));
  const r = await runCli(['lint', file]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /command-during-idle/);
  assert.match(r.stderr, /the last record was cut off/);
});

test('lint --rules lists every rule with its level and RFC section', async () => {
  const r = await runCli(['lint', '--rules']);
  assert.equal(r.code, 0);
  for (const code of ['idle-not-advertised', 'command-during-idle', 'done-outside-idle', 'idle-too-long', 'idle-ended-before-done',
    'sync-literal-before-continuation', 'non-sync-literal-too-large', 'tag-reused', 'bare-lf', 'literal-truncated',
    'command-after-bye', 'expunge-without-command', 'idle-keepalive']) {
    assert.match(r.stdout, new RegExp(`^${code} +(error|warning|info) +RFC \\d+`, 'm'), code);
  }
});

test('stats: commands with latency, IDLE periods, bytes, findings; --json carries the same', async () => {
  const file = await writeCapture('stats.imapcap', `
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: a1 NOOP
    S: a1 OK done
    C: a2 IDLE
    S: + idling
    S: * 1 EXISTS
    C: DONE
    S: a2 OK done
    C: a3 IDLE
    S: + idling
    C: DONE
    S: a3 OK done
    C: a4 NOOP
  `);
  const text = await runCli(['stats', file]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^session #1: client 127\.0\.0\.1:50000 -> upstream 127\.0\.0\.1:143, 13\.0 ms, 13 frames$/m);
  // IDLE latencies 4 ms and 3 ms: the nearest-rank median of two values is the lower one.
  assert.match(text.stdout, /^ {12}IDLE {9}2 {5}3\.0 ms {5}4\.0 ms {5}4\.0 ms$/m);
  assert.match(text.stdout, /^ {12}NOOP {9}2 {5}1\.0 ms {5}1\.0 ms {5}1\.0 ms {2}\(1 unanswered\)$/m);
  assert.match(text.stdout, /^ {2}IDLE {6}2 periods \(2 ended, 0 rejected, 0 open\), 1 update$/m);
  assert.match(text.stdout, /^ {12}re-idle gap median 1\.0 ms, p95 1\.0 ms, max 1\.0 ms$/m);
  const json = await runCli(['stats', file, '--json']);
  const [s] = JSON.parse(json.stdout) as Array<{ idle: { periods: number; durations: { medianUs: number } }; bytes: { wire: { client: number } } }>;
  assert.equal(s.idle.periods, 2);
  assert.equal(s.idle.durations.medianUs, 3000);
  assert.equal(s.bytes.wire.client, 'a1 NOOP\r\na2 IDLE\r\nDONE\r\na3 IDLE\r\nDONE\r\na4 NOOP\r\n'.length);
});
