// Issue 12, SOCKS5 front end end to end: one `imapdbg proxy --socks` in front of a real Dovecot,
// real clients that name the server in their CONNECT (curl --socks5-hostname, imapflow's proxy
// option, python with a SOCKS5 handshake written by hand). The leaf is checked for the name the
// client asked for; refused and unresolvable targets give the right SOCKS reply; a non-IMAP port is
// an opaque session; the capture shows each server by name. No DNS: `localhost` is imapdbg's own
// (RFC 6761), the test name comes from --resolve, `.invalid` never resolves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { runImapdbg, startImapdbgProxy, type ImapdbgProcess } from '../harness/imapdbg-process';
import { captureEvents } from './capture-check';
import type { SessionInfo } from '../../src/imap/events';

const PASSWORD = 'pw-Socks-5';
const TEST_NAME = 'imap.test.example';
let dovecot: DovecotInstance;
let dir: string;
let caDir: string;
let caFile: string;
let capture: string;
let proxy: ImapdbgProcess;
let echo: net.Server;
let echoPort: number;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-socks-e2e-'));
  caDir = path.join(dir, 'ca');
  caFile = path.join(caDir, 'ca-cert.pem');
  const r = await runImapdbg(['ca', 'init', '--ca-dir', caDir]);
  assert.equal(r.code, 0, r.stderr);
  // A line-echo server on a port that is not IMAP (stands in for SMTP): its session must be opaque.
  echo = net.createServer((s) => s.on('data', (d) => s.write(d)).on('end', () => s.end()).on('error', () => undefined));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
  capture = path.join(dir, 'socks.pcapng');
  proxy = await startImapdbgProxy(['--socks', '127.0.0.1:0', '--imap-ports', String(dovecot.port), '--tls-ports', String(dovecot.tlsPort),
    '--resolve', `${TEST_NAME}=127.0.0.1`, '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless', '--record', capture]);
});
after(async () => {
  await proxy?.stop();
  echo?.close();
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000 }, (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });
}

const socks = (): string => `127.0.0.1:${proxy.port}`;

test('curl --socks5-hostname, STARTTLS port: the leaf verifies for "localhost" against the imapdbg CA', async () => {
  const r = await run('curl', ['-sS', '--socks5-hostname', socks(), '--ssl-reqd', '--cacert', caFile,
    `imap://localhost:${dovecot.port}/INBOX`, '-u', `alice:${PASSWORD}`, '-X', 'EXAMINE INBOX']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\* \d+ EXISTS/);
});

test('curl --socks5-hostname, implicit TLS port: both legs TLS, the leaf verifies for "localhost"', async () => {
  const r = await run('curl', ['-sS', '--socks5-hostname', socks(), '--cacert', caFile,
    `imaps://localhost:${dovecot.tlsPort}/INBOX`, '-u', `alice:${PASSWORD}`, '-X', 'EXAMINE INBOX']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\* \d+ EXISTS/);
  // Without the imapdbg CA, curl refuses the leaf: the interception is real.
  const untrusted = await run('curl', ['-sS', '--socks5-hostname', socks(), '--cacert', dovecot.certPath,
    `imaps://localhost:${dovecot.tlsPort}/INBOX`, '-u', `alice:${PASSWORD}`, '-X', 'EXAMINE INBOX']);
  assert.notEqual(untrusted.code, 0);
});

test('imapflow with proxy: "socks5://...": implicit TLS, login, select, logout', async () => {
  const client = new ImapFlow({ host: 'localhost', port: dovecot.tlsPort, secure: true, proxy: `socks5://${socks()}`,
    tls: { ca: [fs.readFileSync(caFile, 'utf8')] }, auth: { user: 'alice', pass: PASSWORD }, logger: false });
  await client.connect();
  const box = await client.mailboxOpen('INBOX');
  assert.equal(box.path, 'INBOX');
  await client.logout();
});

// A SOCKS5 client written by hand (RFC 1928 is a few bytes), then imaplib on the open socket.
const PY_SOCKS = String.raw`
import socket, struct, sys, imaplib
proxy_port, host, port, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
def socks_connect(host, port, atyp):
    s = socket.create_connection(('127.0.0.1', proxy_port))
    s.sendall(b'\x05\x01\x00')
    assert s.recv(2) == b'\x05\x00'
    if atyp == 'ipv4':
        addr = b'\x01' + socket.inet_aton(host)
    else:
        addr = b'\x03' + bytes([len(host)]) + host.encode()
    s.sendall(b'\x05\x01\x00' + addr + struct.pack('>H', port))
    reply = b''
    while len(reply) < 10:
        chunk = s.recv(10 - len(reply))
        if not chunk: break
        reply += chunk
    return s, reply
if mode == 'reply':
    s, reply = socks_connect(host, port, 'domain')
    print('REPLY', reply[1])
    sys.exit(0)
if mode == 'echo':
    s, reply = socks_connect(host, port, 'domain')
    assert reply[1] == 0, reply
    s.sendall(b'EHLO client.example\r\n')
    print('ECHO', s.recv(100))
    s.close()
    sys.exit(0)
s, reply = socks_connect(host, port, mode)
assert reply[:2] == b'\x05\x00', reply
class Imap(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return s
m = Imap(host, port)
m.login(sys.argv[5], sys.argv[6])
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
print('SELECTED', dat[0].decode())
m.logout()
`;

test('python, SOCKS5 by hand: CONNECT by a test name (ATYP 3) and by IPv4 (ATYP 1), then imaplib', async () => {
  for (const [host, mode] of [[TEST_NAME, 'domain'], ['127.0.0.1', 'ipv4']]) {
    const py = await runPython(PY_SOCKS, [String(proxy.port), host, String(dovecot.port), mode, 'alice', PASSWORD]);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /SELECTED \d+/);
  }
});

test('a refused port and an unresolvable name: the client gets 0x05 and 0x04; the proxy stays up and says why', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = await runPython(PY_SOCKS, [String(proxy.port), 'localhost', String(closedPort), 'reply']);
  assert.equal(refused.stdout.trim(), 'REPLY 5', refused.stderr);
  const unknown = await runPython(PY_SOCKS, [String(proxy.port), 'no-such-host.invalid', '143', 'reply']);
  assert.equal(unknown.stdout.trim(), 'REPLY 4', unknown.stderr);
  // curl shows the SOCKS error as its own (code 97, "Can't complete SOCKS5 connection").
  const r = await run('curl', ['-sS', '--socks5-hostname', socks(), `imap://localhost:${closedPort}/`]);
  assert.equal(r.code, 97, r.err);
  assert.match(proxy.stderr(), new RegExp(`CONNECT localhost:${closedPort}: cannot connect .*ECONNREFUSED; replied connection refused \\(0x05\\)`));
  assert.match(proxy.stderr(), /CONNECT no-such-host\.invalid:143: cannot resolve no-such-host\.invalid: ENOTFOUND; replied host unreachable \(0x04\)/);
});

test('a non-IMAP port is relayed byte for byte as an opaque session', async () => {
  const py = await runPython(PY_SOCKS, [String(proxy.port), 'localhost', String(echoPort), 'echo']);
  assert.equal(py.code, 0, py.stderr);
  assert.match(py.stdout, /ECHO b'EHLO client\.example\\r\\n'/);
});

test('the capture (read back) shows every session under the server name asked for; the opaque one unframed', async () => {
  // Last in the file: stop the proxy so that the capture is complete.
  assert.equal(await proxy.stop(), 0, proxy.stderr());
  const events = await captureEvents(capture);
  const opened = events.flatMap((e): SessionInfo[] => (e.type === 'session-open' ? [e.session] : []));
  const names = opened.map((s) => s.upstream);
  assert.ok(names.includes(`localhost:${dovecot.port}`) && names.includes(`localhost:${dovecot.tlsPort}`), names.join(' '));
  const named = opened.find((s) => s.upstream === `${TEST_NAME}:${dovecot.port}`);
  assert.equal(named?.upstreamAddress, `127.0.0.1:${dovecot.port}`);
  const opaque = opened.find((s) => s.upstream === `localhost:${echoPort}`);
  assert.equal(opaque?.opaque, true);
  assert.equal(opened.filter((s) => s.opaque).length, 1, 'only the non-IMAP port is opaque');
  assert.ok(!events.some((e) => e.type === 'frame' && e.frame.session === opaque?.id), 'no frame for the opaque session');
  assert.ok(!events.some((e) => e.type === 'finding' && e.session === opaque?.id), 'and no finding');
  const closeOf = events.find((e) => e.type === 'session-close' && e.session === opaque?.id);
  assert.deepEqual(closeOf?.type === 'session-close' ? closeOf.bytes : undefined, { client: 21, server: 21 });
  // The implicit-TLS sessions have both legs, the client leg named after "localhost" by SNI.
  const tls = events.flatMap((e) => (e.type === 'tls' ? [e.tls] : []));
  assert.ok(tls.some((t) => t.leg === 'client' && t.sni === 'localhost'));
  assert.ok(tls.some((t) => t.leg === 'server' && t.sni === 'localhost' && t.verdict === 'verified'));
  const text = await runImapdbg(['export', capture, '--format', 'text']);
  assert.equal(text.code, 0, text.stderr);
  const out = text.stdout.toString('utf8');
  assert.match(out, new RegExp(`upstream ${TEST_NAME.replace(/\./g, '\\.')}:${dovecot.port} \\(127\\.0\\.0\\.1:${dovecot.port}\\)`));
  assert.match(out, new RegExp(`upstream localhost:${echoPort}.* -- opaque, not IMAP`));
  assert.match(out, /S: \* OK .*Dovecot/);
  // In the pcapng, each session's TCP stream goes to the address imapdbg really connected to, not to
  // the documentation address a host name used to get.
  const syn = await run('tshark', ['-r', capture, '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==0', '-T', 'fields', '-e', 'ip.dst', '-e', 'tcp.dstport']);
  assert.equal(syn.code, 0, syn.err);
  const streams = syn.out.trim().split('\n');
  assert.ok(streams.includes(`127.0.0.1\t${echoPort}`) && streams.includes(`127.0.0.1\t${dovecot.tlsPort}`), syn.out);
  assert.ok(!syn.out.includes('192.0.2.'), syn.out);
});
