// Issue 3 end to end, implicit TLS (like port 993) on both legs: real Dovecot, python imaplib,
// curl and imapflow through the real CLI; plaintext taps on both TLS hops check the bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ImapFlow } from 'imapflow';
import { appendMessage, makeMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { startImapdbgProxy } from '../harness/imapdbg-process';
import type { TlsInfo } from '../../src/imap/events';
import { assertBytesTransparent, captureEvents, sessionFrames } from './capture-check';
import { keyLogSummary, startTlsClientTap, startTlsServerTap } from './tls-tap';

const PASSWORD = 'pw-Tls-993';
let dovecot: DovecotInstance;
let dir: string;
let caDir: string;
let caCert: () => string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD, bob: PASSWORD } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-tls-e2e-'));
  caDir = path.join(dir, 'ca');
  caCert = () => fs.readFileSync(path.join(caDir, 'ca-cert.pem'), 'utf8');
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function tlsEvents(events: Awaited<ReturnType<typeof captureEvents>>): TlsInfo[] {
  return events.flatMap((e) => (e.type === 'tls' ? [e.tls] : []));
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000 }, (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });
}

const PY_SESSION = String.raw`
import imaplib, sys, hashlib
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
typ, dat = m.fetch('1', '(BODY.PEEK[])'); assert typ == 'OK', dat
print('FETCHED', len(dat[0][1]), hashlib.sha256(dat[0][1]).hexdigest())
m.logout()
`;

test('python through --tls --upstream-tls: plaintext on both hops equals the raw export; both legs in the key log', async () => {
  const msg = makeMessage(300_000, 'over tls');
  await appendMessage(dovecot, 'alice', 'INBOX', msg);
  const capture = path.join(dir, 'implicit.imapcap');
  const keylog = path.join(dir, 'implicit.keys');
  // python (plain) -> tapC (TLS client, trusts the imapdbg CA) -> imapdbg -> tapS (TLS server) -> Dovecot
  const tapS = await startTlsServerTap(dovecot.port, fs.readFileSync(path.join(dovecot.dir, 'key.pem'), 'utf8'), fs.readFileSync(dovecot.certPath, 'utf8'));
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${tapS.port}`, '--tls', '--upstream-tls', '--upstream-ca', dovecot.certPath,
    '--ca-dir', caDir, '--keylog', keylog, '--headless', '--record', capture]);
  const tapC = await startTlsClientTap(proxy.port, caCert());
  try {
    const py = await runPython(PY_SESSION, [String(tapC.port), 'alice', PASSWORD]);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, new RegExp(`FETCHED ${msg.length} ${createHash('sha256').update(msg).digest('hex')}`));
  } finally {
    assert.equal(await proxy.stop('SIGTERM'), 0, proxy.stderr());
    await tapC.close();
    await tapS.close();
  }
  assert.equal(tapC.connections.length, 1);
  await assertBytesTransparent(capture, 1, tapC.connections[0], tapS.connections[0]);
  const events = await captureEvents(capture);
  const legs = tlsEvents(events);
  assert.deepEqual(legs.map((t) => t.leg), ['server', 'client']);
  assert.equal(legs[0].verdict, 'verified');
  assert.equal(legs[0].peerSubject, 'CN=localhost');
  assert.match(legs[1].version, /^TLSv1\.[23]$/);
  assert.equal(legs[1].sni, 'localhost');
  // The TLS events come before the greeting frame: the session starts only once both legs are up.
  const firstFrame = events.findIndex((e) => e.type === 'frame');
  assert.ok(events.findIndex((e) => e.type === 'tls') < firstFrame);
  assert.equal(sessionFrames(events, 1)[0].kind, 'greeting');
  // SSLKEYLOGFILE: secrets of two handshakes (two client randoms), file mode 0600.
  assert.equal(fs.statSync(keylog).mode & 0o777, 0o600);
  const keys = keyLogSummary(fs.readFileSync(keylog, 'utf8'));
  assert.equal(keys.randoms.size, 2, `expected both legs in the key log: ${[...keys.labels].join(' ')}`);
  assert.ok(keys.labels.has('CLIENT_TRAFFIC_SECRET_0') || keys.labels.has('CLIENT_RANDOM'), [...keys.labels].join(' '));
});

test('the leaf chains to the imapdbg CA and carries the names a client may use (localhost, 127.0.0.1)', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.tlsPort}`, '--tls', '--upstream-tls', '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless']);
  try {
    for (const servername of [undefined, 'localhost']) {
      const cert = await new Promise<X509Certificate>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: proxy.port, ca: caCert(), servername }, () => {
          const raw = s.getPeerCertificate().raw;
          s.end();
          resolve(new X509Certificate(raw));
        });
        s.once('error', reject);
      });
      const ca = new X509Certificate(caCert());
      assert.ok(cert.verify(ca.publicKey), 'leaf not signed by the imapdbg CA');
      assert.ok(cert.checkIssued(ca));
      assert.equal(cert.checkHost('localhost'), 'localhost');
      assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    }
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
});

test('curl --cacert imaps:// through the proxy; an untrusted upstream is refused with * BYE, accepted with --insecure-upstream', async () => {
  const upstream = ['--upstream', `127.0.0.1:${dovecot.tlsPort}`, '--tls', '--upstream-tls', '--ca-dir', caDir, '--headless'];
  const caFile = path.join(caDir, 'ca-cert.pem');
  const good = await startImapdbgProxy([...upstream, '--upstream-ca', dovecot.certPath]);
  try {
    const r = await run('curl', ['-sS', '--cacert', caFile, `imaps://127.0.0.1:${good.port}/INBOX`, '-u', `alice:${PASSWORD}`, '-X', 'EXAMINE INBOX']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\* \d+ EXISTS/);
  } finally {
    assert.equal(await good.stop(), 0);
  }
  // Dovecot's self-signed certificate is not in any trust store: refused by default.
  const capture = path.join(dir, 'refused.imapcap');
  const strict = await startImapdbgProxy([...upstream, '--record', capture]);
  try {
    const r = await run('curl', ['-v', '-sS', '--cacert', caFile, `imaps://127.0.0.1:${strict.port}/INBOX`, '-u', `alice:${PASSWORD}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /< \* BYE \[UNAVAILABLE\] imapdbg: upstream certificate rejected: self-signed certificate/);
  } finally {
    assert.equal(await strict.stop(), 0);
  }
  const events = await captureEvents(capture);
  const rejected = events.find((e) => e.type === 'finding' && e.finding.code === 'upstream-certificate-rejected');
  assert.ok(rejected, 'no finding for the rejected certificate');
  assert.match(tlsEvents(events)[0].verdict ?? '', /^rejected: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  assert.ok(events.some((e) => e.type === 'session-close'), 'session not closed');
  const loose = await startImapdbgProxy([...upstream, '--insecure-upstream', '--record', path.join(dir, 'insecure.imapcap')]);
  try {
    const r = await run('curl', ['-sS', '--cacert', caFile, `imaps://127.0.0.1:${loose.port}/INBOX`, '-u', `alice:${PASSWORD}`, '-X', 'EXAMINE INBOX']);
    assert.equal(r.code, 0, r.err);
  } finally {
    assert.equal(await loose.stop(), 0);
  }
  const verdict = tlsEvents(await captureEvents(path.join(dir, 'insecure.imapcap')))[0].verdict;
  assert.match(verdict ?? '', /^insecure \(not verified: self-signed certificate/);
});

test('imapflow with tls.ca through --tls --upstream-tls: login, append, fetch, logout', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.tlsPort}`, '--tls', '--upstream-tls', '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless']);
  const client = new ImapFlow({ host: '127.0.0.1', port: proxy.port, secure: true, tls: { ca: caCert(), servername: 'localhost' },
    auth: { user: 'bob', pass: PASSWORD }, logger: false, disableAutoIdle: true, disableCompression: true });
  const body = makeMessage(20_000, 'imapflow over tls');
  try {
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.append('INBOX', body);
      const msg = await client.fetchOne('*', { source: true });
      assert.ok(msg && msg.source && msg.source.equals(body));
    } finally {
      lock.release();
    }
    await client.logout();
  } finally {
    client.close();
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  assert.match(proxy.stdout(), /TLS on the client leg: TLSv1\.3/);
  assert.match(proxy.stdout(), /TLS on the server leg: .*upstream certificate CN=localhost issued by CN=localhost: verified/);
});

test('a client that resets its TLS connection: the proxy mirrors it on the TLS server leg and keeps serving', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.tlsPort}`, '--tls', '--upstream-tls', '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless']);
  try {
    for (let i = 0; i < 3; i++) {
      const raw = net.connect(proxy.port, '127.0.0.1');
      const s = tls.connect({ socket: raw, ca: caCert(), servername: 'localhost' });
      s.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        s.once('data', () => resolve());
        s.once('close', () => reject(new Error(`connection ${i + 1} closed before the greeting: ${proxy.stderr()}`)));
      });
      raw.resetAndDestroy();
    }
    const r = await run('curl', ['-sS', '--cacert', path.join(caDir, 'ca-cert.pem'), `imaps://127.0.0.1:${proxy.port}/`, '-u', `alice:${PASSWORD}`]);
    assert.equal(r.code, 0, `${r.err}\n${proxy.stderr()}`);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  assert.equal((proxy.stdout().match(/session closed \(error on the client side: ECONNRESET/g) ?? []).length, 3, proxy.stdout());
});
