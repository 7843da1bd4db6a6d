// Issue 4 end to end: IDLE phases and IDLE findings through the real CLI proxy to Dovecot.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from '../../src/imap/frame';
import { appendMessage, makeMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg } from '../harness/imapdbg-process';
import { readUntil } from '../harness/lines';
import { captureEvents, sessionFrames } from './capture-check';
import { command, rawConnect, startChain } from './phases-clients';

let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-idle-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const phaseOf = (f: Frame): Record<string, string | number | boolean> | undefined => {
  for (const a of f.annotations) if (a.kind === 'phase' && a.phase.startsWith('idle-')) return { phase: a.phase, ...a.detail };
  return undefined;
};
const codes = (f: Frame): string[] => f.annotations.flatMap((a) => (a.kind === 'finding' ? [a.finding.code] : []));

test('IDLE with updates from a second connection: every phase annotated live, in stats and after reframing', async () => {
  const capture = path.join(dir, 'idle.imapcap');
  const chain = await startChain(dovecot, capture);
  let updatesSeen = 0;
  let sock: Socket | undefined;
  try {
    sock = await rawConnect(chain.tapC.port);
    await readUntil(sock, (l) => l.startsWith('* OK'));
    await command(sock, 'a1', `LOGIN alice ${dovecot.users.alice}`);
    await command(sock, 'a2', 'SELECT INBOX');
    sock.write('a3 IDLE\r\n');
    await readUntil(sock, (l) => l.startsWith('+'));
    // Two deliveries on another connection, straight to Dovecot: the IDLE session hears of them.
    await appendMessage(dovecot, 'alice', 'INBOX', makeMessage(1000, 'first push'));
    const first = await readUntil(sock, (l) => / EXISTS$/.test(l));
    await appendMessage(dovecot, 'alice', 'INBOX', makeMessage(1000, 'second push'));
    const second = await readUntil(sock, (l) => / EXISTS$/.test(l));
    sock.write('DONE\r\n');
    const end = await readUntil(sock, (l) => l.startsWith('a3 '));
    assert.match(end[end.length - 1], /^a3 OK/);
    updatesSeen = [...first, ...second, ...end].filter((l) => l.startsWith('* ')).length;
    await command(sock, 'a4', 'LOGOUT');
  } finally {
    sock?.destroy();
    await chain.close();
  }
  const frames = sessionFrames(await captureEvents(capture), 1);
  const idle = frames.map(phaseOf).filter((p) => p !== undefined);
  assert.deepEqual(idle.map((p) => p.phase), ['idle-requested', 'idle-accepted',
    ...Array.from({ length: updatesSeen }, () => 'idle-update'), 'idle-done', 'idle-ended']);
  const ended = idle[idle.length - 1];
  assert.equal(ended.updates, updatesSeen);
  assert.equal(ended.status, 'OK');
  const updates = idle.filter((p) => p.phase === 'idle-update');
  assert.ok(updates.every((u, i) => u.n === i + 1 && typeof u.sinceUs === 'number' && u.sinceUs > 0));
  assert.ok(Number(ended.durationUs) >= Number(updates[updates.length - 1].sinceUs));
  // The mailbox tracker counted the deliveries too.
  const exists = frames.flatMap((f) => f.annotations.flatMap((a) => (a.kind === 'phase' && a.phase === 'mailbox-exists' ? [a.detail] : [])));
  assert.equal(exists.length, 2);

  // The headless view showed the phases; the run ended with the IDLE summary; `stats` says the same.
  const out = chain.proxy.stdout();
  assert.match(out, /C: a3 IDLE {2}\[idle-requested tag=a3\]/);
  assert.match(out, /S: \+ idling {2}\[idle-accepted tag=a3 wait=[0-9.]+(µs|ms)\]/);
  assert.match(out, new RegExp(`IDLE {6}1 period \\(1 ended, 0 rejected, 0 open\\), ${updatesSeen} updates`));
  const stats = await runImapdbg(['stats', capture, '--json']);
  assert.equal(stats.code, 0, stats.stderr);
  const [s1] = JSON.parse(stats.stdout.toString()) as Array<{ idle: { periods: number; ended: number; updates: number; durations: { maxUs: number } } }>;
  assert.equal(s1.idle.periods, 1);
  assert.equal(s1.idle.updates, updatesSeen);
  assert.equal(s1.idle.durations.maxUs, ended.durationUs);
  const lint = await runImapdbg(['lint', capture]);
  assert.equal(lint.code, 0, lint.stdout.toString());
});

test('a command sent while the server waits for DONE: finding live and in lint (exit 1), and Dovecot ends the IDLE', async () => {
  const capture = path.join(dir, 'idle-command.imapcap');
  const chain = await startChain(dovecot, capture);
  let reply: string[];
  let sock: Socket | undefined;
  try {
    sock = await rawConnect(chain.tapC.port);
    await readUntil(sock, (l) => l.startsWith('* OK'));
    await command(sock, 'b1', `LOGIN bob ${dovecot.users.bob}`);
    await command(sock, 'b2', 'SELECT INBOX');
    sock.write('b3 IDLE\r\n');
    await readUntil(sock, (l) => l.startsWith('+'));
    sock.write('b4 NOOP\r\n');
    reply = await readUntil(sock, (l) => l.startsWith('b3 '));
    await command(sock, 'b5', 'LOGOUT');
  } finally {
    sock?.destroy();
    await chain.close();
  }
  // Dovecot reads the command as a malformed DONE and ends the IDLE with BAD (the RFC's reason for the rule).
  assert.match(reply[reply.length - 1], /^b3 BAD/);
  const frames = sessionFrames(await captureEvents(capture), 1);
  const noop = frames.find((f) => f.kind === 'command' && f.tag === 'b4');
  assert.deepEqual(noop && codes(noop), ['command-during-idle']);
  const bad = frames.find((f) => f.kind === 'tagged' && f.tag === 'b3');
  assert.deepEqual(bad && codes(bad), ['idle-ended-before-done']);
  assert.match(chain.proxy.stdout(), /C: b4 NOOP {2}\[error command-during-idle: b4 NOOP sent while the server waits for DONE/);
  const lint = await runImapdbg(['lint', capture, '--utc']);
  assert.equal(lint.code, 1);
  const text = lint.stdout.toString();
  assert.match(text, /#1 error command-during-idle \(RFC 2177 3\): b4 NOOP sent while the server waits for DONE to end IDLE b3.* \(frame \d+\)\n {4}\S+ #1 C: b4 NOOP\n/);
  assert.match(text, /^2 errors, 1 warning, 0 info in 1 session$/m);
  const errorsOnly = await runImapdbg(['lint', capture, '--level', 'error']);
  assert.doesNotMatch(errorsOnly.stdout.toString(), /warning cleartext-login/);
  assert.equal(errorsOnly.code, 1);
});
