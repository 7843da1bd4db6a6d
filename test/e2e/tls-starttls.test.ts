// Issue 3 end to end, STARTTLS: the client's STARTTLS intercepted on both legs at the byte
// boundary, and --upstream-starttls for plain-only clients. Real Dovecot, python imaplib, curl,
// imapflow, and a raw socket for the command injection case.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ImapFlow } from 'imapflow';
import { appendMessage, makeMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { readUntil } from '../harness/lines';
import { runPython } from '../harness/python';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import type { Frame } from '../../src/imap/frame';
import { captureEvents, pairOf, sessionFrames } from './capture-check';
import { keyLogSummary } from './tls-tap';

const PASSWORD = 'pw-StartTls-143';
let dovecot: DovecotInstance;
let dir: string;
let caDir: string;
let caFile: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD, bob: PASSWORD } });
  await appendMessage(dovecot, 'alice', 'INBOX', makeMessage(50_000, 'starttls'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-starttls-e2e-'));
  caDir = path.join(dir, 'ca');
  caFile = path.join(caDir, 'ca-cert.pem');
  // Create the CA up front: python and curl need the file before the first STARTTLS makes it.
  const r = await runImapdbg(['ca', 'init', '--ca-dir', caDir]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000 }, (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });
}

/** `client command LOGIN`, `server tagged OK`...: what a frame sequence looks like without tags and text. */
function shape(frames: Frame[]): string[] {
  return frames.map((f) => `${f.direction} ${f.kind} ${f.verb ?? ''}`.trim());
}

const PY_SESSION = String.raw`
import imaplib, ssl, sys
port, user, pw, mode, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
m = imaplib.IMAP4('127.0.0.1', port)
try:
    if mode == 'starttls':
        typ, dat = m.starttls(ssl_context=ssl.create_default_context(cafile=cafile)); assert typ == 'OK', dat
    m.login(user, pw)
    typ, dat = m.select('INBOX'); assert typ == 'OK', dat
    typ, dat = m.fetch('1', '(BODY.PEEK[])'); assert typ == 'OK', dat
    print('FETCHED', len(dat[0][1]))
    m.logout()
except imaplib.IMAP4.abort as e:
    print('ABORT', e)
`;

test('python starttls(): both legs upgraded at the boundary, frames after it the same as in a plain session, both legs keyed', async () => {
  const capture = path.join(dir, 'starttls.pcapng');
  const keylog = path.join(dir, 'starttls.keys');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--upstream-ca', dovecot.certPath, '--ca-dir', caDir,
    '--keylog', keylog, '--headless', '--record', capture]);
  try {
    for (const mode of ['starttls', 'plain']) {
      const py = await runPython(PY_SESSION, [String(proxy.port), 'alice', PASSWORD, mode, caFile]);
      assert.equal(py.code, 0, py.stderr);
      assert.match(py.stdout, /^FETCHED \d+$/m, `${mode}: ${py.stdout}`);
    }
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const events = await captureEvents(capture);
  const upgraded = sessionFrames(events, 1);
  const plain = sessionFrames(events, 2);
  const ok = upgraded.findIndex((f) => f.kind === 'tagged' && pairOf(f)?.command === 'STARTTLS');
  assert.ok(ok > 0 && upgraded[ok].verb === 'OK', 'no tagged OK to STARTTLS');
  // python asks CAPABILITY after the greeting and again after STARTTLS: from there on both agree.
  assert.deepEqual(shape(upgraded.slice(ok + 1)), shape(plain.slice(1)));
  // The byte streams go on where they were: the frame after the OK starts at the next offset.
  const next = upgraded[ok + 1];
  const command = upgraded.find((f) => f.verb === 'STARTTLS' && f.direction === 'client');
  assert.ok(command);
  assert.equal(next.offset, command.offset + command.length);
  const tlsLegs = events.flatMap((e) => (e.type === 'tls' && e.session === 1 ? [e.tls] : []));
  assert.deepEqual(tlsLegs.map((t) => t.leg), ['server', 'client']);
  assert.equal(tlsLegs[0].verdict, 'verified');
  assert.ok(!events.some((e) => e.type === 'tls' && e.session === 2), 'the plain session has no TLS');
  // No stray binary: every frame of the upgraded session parsed as IMAP.
  assert.ok(!upgraded.some((f) => f.kind === 'unparsed'), 'TLS records leaked into the frames');
  assert.equal(keyLogSummary(fs.readFileSync(keylog, 'utf8')).randoms.size, 2);
});

test('curl --ssl-reqd imap:// (STARTTLS) through the proxy', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless']);
  try {
    const r = await run('curl', ['-sS', '--ssl-reqd', '--cacert', caFile, `imap://127.0.0.1:${proxy.port}/INBOX`, '-u', `alice:${PASSWORD}`, '-X', 'EXAMINE INBOX']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\* \d+ EXISTS/);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  assert.match(proxy.stdout(), /S: A\d+ OK Begin TLS negotiation now\..*\n.*TLS on the server leg.*verified\n.*TLS on the client leg: TLSv1\.3/);
});

test('an untrusted upstream after STARTTLS: the client gets * BYE over its new TLS leg, the capture a finding, nobody hangs', async () => {
  const capture = path.join(dir, 'untrusted.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--ca-dir', caDir, '--headless', '--record', capture]);
  try {
    const py = await runPython(PY_SESSION, [String(proxy.port), 'alice', PASSWORD, 'starttls', caFile]);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /ABORT .*imapdbg: upstream certificate rejected: self-signed certificate/);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const events = await captureEvents(capture);
  assert.ok(events.some((e) => e.type === 'finding' && e.finding.code === 'upstream-certificate-rejected'));
  assert.ok(events.some((e) => e.type === 'session-close'));
});

test('imapflow with STARTTLS and tls.ca through the proxy', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless']);
  const client = new ImapFlow({ host: '127.0.0.1', port: proxy.port, secure: false, doSTARTTLS: true, tls: { ca: fs.readFileSync(caFile, 'utf8') },
    auth: { user: 'bob', pass: PASSWORD }, logger: false, disableAutoIdle: true, disableCompression: true });
  try {
    await client.connect();
    const status = await client.status('INBOX', { messages: true });
    assert.ok(status && typeof status.messages === 'number');
    await client.logout();
  } finally {
    client.close();
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  assert.match(proxy.stdout(), /C: \S+ STARTTLS/);
  assert.match(proxy.stdout(), /TLS on the client leg/);
});

test('bytes after "STARTTLS\\r\\n" in the same packet are reported and never forwarded into TLS (CVE-2011-0411)', async () => {
  const capture = path.join(dir, 'injection.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless', '--record', capture]);
  const raw = net.connect(proxy.port, '127.0.0.1');
  try {
    await readUntil(raw, (l) => l.startsWith('* OK'));
    raw.write('A1 STARTTLS\r\nA2 NOOP\r\n');
    await readUntil(raw, (l) => l.startsWith('A1 '));
    const secure = tls.connect({ socket: raw, ca: fs.readFileSync(caFile, 'utf8'), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); });
    secure.write('A3 NOOP\r\n');
    const lines = await readUntil(secure, (l) => l.startsWith('A3 '));
    assert.ok(!lines.some((l) => l.startsWith('A2 ')), `the injected command was executed: ${lines.join(' | ')}`);
    secure.end('A4 LOGOUT\r\n');
  } finally {
    raw.destroy();
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const events = await captureEvents(capture);
  const f = events.find((e) => e.type === 'finding' && e.finding.code === 'starttls-command-injection');
  assert.ok(f && f.type === 'finding');
  assert.match(f.finding.message, /9 bytes: "A2 NOOP\\r\\n"/);
  assert.ok(!sessionFrames(events, 1).some((fr) => fr.tag === 'A2'), 'the injected command was framed as sent');
});

test('--upstream-starttls: a plain client, imapdbg upgrades the server leg itself, its STARTTLS is not forwarded', async () => {
  const capture = path.join(dir, 'upstream-starttls.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--upstream-starttls', '--upstream-ca', dovecot.certPath,
    '--ca-dir', caDir, '--headless', '--record', capture]);
  try {
    const py = await runPython(PY_SESSION, [String(proxy.port), 'alice', PASSWORD, 'plain', caFile]);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /^FETCHED \d+$/m, py.stdout);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const events = await captureEvents(capture);
  assert.ok(events.some((e) => e.type === 'finding' && e.finding.code === 'imapdbg-starttls'));
  const legs = events.flatMap((e) => (e.type === 'tls' ? [e.tls] : []));
  assert.deepEqual(legs.map((t) => [t.leg, t.verdict]), [['server', 'verified']]);
  const clientRaw = await runImapdbg(['export', capture, '--format', 'raw', '--session', '1', '--direction', 'client']);
  const serverRaw = await runImapdbg(['export', capture, '--format', 'raw', '--session', '1', '--direction', 'server']);
  assert.ok(!clientRaw.stdout.toString('latin1').includes('STARTTLS'), 'imapdbg\'s STARTTLS is in the client stream');
  assert.ok(!serverRaw.stdout.toString('latin1').includes('Begin TLS'), 'the answer to imapdbg\'s STARTTLS is in the server stream');
  const frames = sessionFrames(events, 1);
  // Pairing is the client's own: every tagged response pairs with one of its commands.
  assert.ok(frames.filter((f) => f.kind === 'tagged').every((f) => pairOf(f) !== undefined));
  // The client logged in over its plain leg though the greeting advertised STARTTLS: linted.
  const login = frames.find((f) => f.verb === 'LOGIN');
  assert.ok(login?.annotations.some((a) => a.kind === 'finding' && a.finding.code === 'cleartext-login'), 'no cleartext-login finding');
});
