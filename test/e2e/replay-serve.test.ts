// `imapdbg replay --serve`: real clients (python imaplib, imapflow) recorded against a real Dovecot
// through the proxy, then run against the replay, must get the same answers; an unknown command
// gets a tagged BAD; synchronizing literals get their `+`; each connection gets a fresh replay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { readUntil } from '../harness/lines';
import { recordThroughProxy } from '../fixtures-tools/record-through-proxy';
import { fixtureMessage } from '../fixtures-tools/fixture-messages';
import { PYTHON_AUTH_SCRIPT } from '../fixtures-tools/record-fixtures';
import { startCli } from '../fixtures-tools/run-cli';

const FIXTURES = path.resolve(__dirname, '../../../fixtures');
let inst: DovecotInstance;
let dir: string;
const children: ChildProcess[] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-serve-'));
  inst = await startDovecot();
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'first'));
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(2, 'second', 5000));
});

after(async () => {
  for (const c of children) c.kill();
  await inst.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `imapdbg replay FILE --serve 127.0.0.1:0 ...` and returns its port. */
async function serve(file: string, ...extra: string[]): Promise<{ port: number; stderr: () => string }> {
  const { child, match, stderr } = await startCli(['replay', file, '--serve', '127.0.0.1:0', ...extra], /on 127\.0\.0\.1:(\d+)\n/);
  children.push(child);
  return { port: Number(match[1]), stderr };
}

test('python imaplib gets the recorded answers, AUTHENTICATE PLAIN included', async () => {
  const capture = path.join(dir, 'python.imapcap');
  const recorded = await recordThroughProxy(inst, capture, async (proxy) =>
    runPython(PYTHON_AUTH_SCRIPT, [proxy.host, String(proxy.port), 'alice', inst.users.alice]));
  assert.equal(recorded.code, 0, recorded.stderr);
  const { port } = await serve(capture);
  const replayed = await runPython(PYTHON_AUTH_SCRIPT, ['127.0.0.1', String(port), 'alice', inst.users.alice]);
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.match(recorded.stdout, /^\('OK', \[b'1 2'\]\)$/m);
  assert.equal(replayed.stdout, recorded.stdout);
});

/** An imapflow session: open INBOX, fetch everything, IDLE until a new message shows, log out. */
async function imapflowDialog(port: number, onIdle: () => Promise<void>): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, disableCompression: true,
    disableAutoIdle: true, logger: false, auth: { user: 'alice', pass: inst.users.alice } });
  const seen: string[] = [];
  await client.connect();
  const box = await client.mailboxOpen('INBOX');
  seen.push(`open ${box.path} exists=${box.exists} uidValidity=${String(box.uidValidity)} uidNext=${box.uidNext}`);
  for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true, source: true })) {
    seen.push(`fetch ${m.seq} uid=${m.uid} subject=${m.envelope?.subject ?? ''} flags=${[...(m.flags ?? [])].join(',')} source=${createHash('sha256').update(m.source ?? Buffer.alloc(0)).digest('hex')}`);
  }
  const exists = new Promise<number>((resolve) => client.on('exists', (e: { count: number }) => resolve(e.count)));
  const idling = client.idle();
  await onIdle();
  seen.push(`exists during idle: ${await exists}`);
  await client.logout();
  await idling.catch(() => undefined);
  return seen;
}

test('imapflow gets the recorded answers, IDLE update included', async () => {
  const capture = path.join(dir, 'imapflow.imapcap');
  const recorded = await recordThroughProxy(inst, capture, (proxy) => imapflowDialog(proxy.port, async () => {
    await new Promise((r) => setTimeout(r, 200));
    await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(3, 'during idle'));
  }));
  assert.equal(recorded.length, 4);
  assert.equal(recorded[3], 'exists during idle: 3');
  const { port, stderr } = await serve(capture, '--speed', '4');
  const replayed = await imapflowDialog(port, async () => undefined);
  assert.deepEqual(replayed, recorded);
  assert.doesNotMatch(stderr(), /no recorded response/);
});

async function connectTo(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
  return s;
}

test('synchronizing literals get "+", unknown commands a tagged BAD, and every client a fresh replay', async () => {
  const { port, stderr } = await serve(path.join(FIXTURES, 'login-literal.imapcap'));
  const first = await connectTo(port);
  const second = await connectTo(port);
  try {
    for (const s of [first, second]) assert.match((await readUntil(s, () => true))[0], /^\* OK .*Dovecot/);
    first.write('x1 SELECT Nowhere\r\n');
    const bad = await readUntil(first, (l) => l.startsWith('x1 '));
    assert.match(bad[bad.length - 1], /^x1 BAD \[imapdbg\] no recorded response: no unanswered recorded command matches under --match exact \(next recorded: a1 LOGIN \{5\}\)$/);
    for (const s of [first, second]) {
      s.write('y1 LOGIN {5}\r\n');
      assert.deepEqual(await readUntil(s, () => true), ['+ OK']);
      s.write('alice {6}\r\n');
      assert.deepEqual(await readUntil(s, () => true), ['+ OK']);
      s.write(`${inst.users.alice}\r\n`);
      const ok = await readUntil(s, (l) => l.startsWith('y1 '));
      assert.match(ok[ok.length - 1], /^y1 OK \[CAPABILITY .*\] Logged in$/);
    }
    // The one recorded LOGIN is used up on this connection: a second one cannot be answered.
    first.write('y2 LOGIN alice secret\r\n');
    const again = await readUntil(first, (l) => l.startsWith('y2 '));
    assert.match(again[again.length - 1], /^y2 BAD \[imapdbg\] no recorded response: /);
    second.write('z9 LOGOUT\r\n');
    assert.deepEqual(await readUntil(second, (l) => l.startsWith('z9 ')), ['* BYE Logging out', 'z9 OK Logout completed (0.001 + 0.000 secs).']);
    assert.match(stderr(), /#1 no recorded response for x1 SELECT Nowhere: /);
  } finally {
    first.destroy();
    second.destroy();
  }
});
