// Issue 9 item 9, end to end: a real client (python3 + zlib) sends a COMPRESS=DEFLATE bomb (1 MB
// on the wire, 1 GiB inflated) through the real bin/imapdbg. The compressed bytes reach the server
// unchanged, the capture stays small (the inflated copy stops at its bound, with a finding), and a
// second session is served normally meanwhile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { captureEvents, sessionFrames } from '../e2e/capture-check';
import { PY_BOMB_CLIENT, startFakeCompressServer, type FakeCompressServer } from '../harness/deflate-bomb';
import { startImapdbgProxy } from '../harness/imapdbg-process';
import { readUntil, tagged } from '../harness/lines';
import { runPython } from '../harness/python';

let dir: string;
let server: FakeCompressServer;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-amplify-'));
  server = await startFakeCompressServer();
});
after(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A plain IMAP session through the proxy: greeting, NOOP, LOGOUT; returns what it read. */
async function plainSession(port: number): Promise<string[]> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  const lines: string[] = [];
  try {
    lines.push(...await readUntil(sock, (l) => l.startsWith('* OK')));
    sock.write('b1 NOOP\r\n');
    lines.push(...await readUntil(sock, tagged('b1')));
    sock.write('b2 LOGOUT\r\n');
    lines.push(...await readUntil(sock, tagged('b2')));
  } finally {
    sock.destroy();
  }
  return lines;
}

test('a 1 MB -> 1 GiB DEFLATE bomb: forwarded unchanged, small capture with a finding, a second session served meanwhile', async () => {
  const capture = path.join(dir, 'bomb.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${server.port}`, '--headless', '--record', capture]);
  let second: string[];
  let py;
  let received;
  try {
    const bomb = runPython(PY_BOMB_CLIENT, ['127.0.0.1', String(proxy.port), '1024'], { timeoutMs: 240_000 });
    // The second session starts once the bomb's COMPRESS reached the server.
    await server.compressStarted;
    second = await plainSession(proxy.port);
    py = await bomb;
    received = await server.nextCompressedEnd();
  } finally {
    await proxy.stop();
  }
  assert.equal(py.code, 0, py.stderr);
  const [, wireBytes, wireSha] = /SENT (\d+) ([0-9a-f]+)/.exec(py.stdout) ?? [];
  assert.deepEqual(received, { bytes: Number(wireBytes), sha256: wireSha }, 'the server got the compressed bytes unchanged');
  assert.ok(Number(wireBytes) < 2_000_000, `a bomb is small on the wire (${wireBytes} bytes)`);
  assert.ok(second.some((l) => l.startsWith('b1 OK')) && second.some((l) => l.startsWith('b2 OK')), second.join('|'));

  const size = fs.statSync(capture).size;
  assert.ok(size < 64 * 1024 * 1024, `the capture holds ${size} bytes for 1 GiB inflated`);
  const events = await captureEvents(capture);
  const bombSession = events.find((e) => e.type === 'session-open' && e.session.id !== undefined && events.some((f) => f.type === 'finding' && f.session === e.session.id));
  assert.ok(bombSession && bombSession.type === 'session-open');
  const findings = events.flatMap((e) => (e.type === 'finding' ? [e.finding] : []));
  assert.deepEqual(findings.map((f) => `${f.level} ${f.code}`), ['warning compress-inflate-limit']);
  assert.match(findings[0].message, /^the client's inflated copy stopped after \d+ bytes/);
  // The second session is framed as usual.
  const otherId = bombSession.session.id === 1 ? 2 : 1;
  const verbs = sessionFrames(events, otherId).filter((f) => f.kind === 'command').map((f) => f.verb);
  assert.deepEqual(verbs, ['NOOP', 'LOGOUT']);
});
