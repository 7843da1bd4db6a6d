// Issue 12, `--route`: two real Dovecots behind one imapdbg process (one plain with STARTTLS
// intercepted, one implicit TLS because its port is in --tls-ports), python imaplib on each, one
// pcapng capture read back with `imapdbg export --format text`: the sessions are told apart by id,
// listen address and server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { captureEvents } from './capture-check';
import type { SessionInfo } from '../../src/imap/events';

let a: DovecotInstance;
let b: DovecotInstance;
let dir: string;

before(async () => {
  a = await startDovecot({ users: { alice: 'pw-route-a' } });
  b = await startDovecot({ users: { bob: 'pw-route-b' } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-route-e2e-'));
});
after(async () => {
  await a?.stop();
  await b?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const PY = String.raw`
import imaplib, ssl, sys
port, user, password, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if mode == 'tls':
    m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ssl.create_default_context(cafile=sys.argv[5]))
else:
    m = imaplib.IMAP4('127.0.0.1', port)
m.login(user, password)
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
print('SELECTED', user)
m.logout()
`;

const PY_CAPS = String.raw`
import imaplib, sys
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
print(sorted(m.capabilities))
m.logout()
`;

/** Wait (bounded by the test runner) until every route has said where it listens. */
async function routePorts(stderr: () => string, count: number): Promise<Map<string, number>> {
  for (;;) {
    const found = new Map<string, number>();
    for (const m of stderr().matchAll(/listening on 127\.0\.0\.1:(\d+), forwarding to (\S+) \(/g)) found.set(m[2], Number(m[1]));
    if (found.size >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('two --route listeners, two Dovecots, one capture: sessions told apart; 993-style port is TLS on both legs', async () => {
  const capture = path.join(dir, 'routes.pcapng');
  const caDir = path.join(dir, 'ca');
  const upA = `127.0.0.1:${a.port}`;
  const upB = `127.0.0.1:${b.tlsPort}`;
  const proxy = await startImapdbgProxy(['--route', `127.0.0.1:0=${upA}`, '--route', `127.0.0.1:0=${upB}`, '--tls-ports', String(b.tlsPort),
    '--upstream-ca', b.certPath, '--ca-dir', caDir, '--headless', '--record', capture]);
  let ports: Map<string, number>;
  try {
    ports = await routePorts(() => proxy.stderr(), 2);
    assert.match(proxy.stderr(), new RegExp(`forwarding to ${upB} \\(implicit TLS\\)`));
    assert.match(proxy.stderr(), new RegExp(`forwarding to ${upA} \\(plain, STARTTLS intercepted\\)`));
    const pa = await runPython(PY, [String(ports.get(upA)), 'alice', 'pw-route-a', 'plain']);
    assert.equal(pa.code, 0, pa.stderr);
    const pb = await runPython(PY, [String(ports.get(upB)), 'bob', 'pw-route-b', 'tls', path.join(caDir, 'ca-cert.pem')]);
    assert.equal(pb.code, 0, pb.stderr);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const events = await captureEvents(capture);
  const opened = events.flatMap((e): SessionInfo[] => (e.type === 'session-open' ? [e.session] : []));
  assert.deepEqual(opened.map((s) => s.id), [1, 2], 'one id sequence across the listeners');
  assert.deepEqual(opened.map((s) => s.upstream), [upA, upB]);
  assert.deepEqual(opened.map((s) => s.listen), [`127.0.0.1:${ports.get(upA)}`, `127.0.0.1:${ports.get(upB)}`]);
  const tlsLegs = events.flatMap((e) => (e.type === 'tls' ? [`${e.session}:${e.tls.leg}`] : []));
  assert.deepEqual(tlsLegs, ['2:server', '2:client'], 'only the route to the TLS port used TLS');
  const text = await runImapdbg(['export', capture, '--format', 'text']);
  assert.equal(text.code, 0, text.stderr);
  const out = text.stdout.toString('utf8');
  assert.match(out, new RegExp(`#1 -- session opened: client \\S+ -> upstream ${upA.replace(/\./g, '\\.')}`));
  assert.match(out, new RegExp(`#2 -- session opened: client \\S+ -> upstream ${upB.replace(/\./g, '\\.')}`));
  assert.match(out, /#1 C: \S+ LOGIN alice /);
  assert.match(out, /#2 C: \S+ LOGIN bob /);
  assert.ok(!out.includes('pw-route-'), 'passwords masked');
});

test('--rule applies to --route sessions too (hide-capability IDLE), with --socks in the same process', async () => {
  const upA = `127.0.0.1:${a.port}`;
  const proxy = await startImapdbgProxy(['--route', `127.0.0.1:0=${upA}`, '--socks', '127.0.0.1:0', '--rule', 'hide-capability IDLE',
    '--ca-dir', path.join(dir, 'ca-rule'), '--headless']);
  try {
    const ports = await routePorts(() => proxy.stderr(), 1);
    assert.match(proxy.stderr(), /SOCKS5 proxy listening on 127\.0\.0\.1:\d+/);
    const direct = await runPython(PY_CAPS, [String(a.port)]);
    assert.match(direct.stdout, /'IDLE'/, 'Dovecot offers IDLE');
    const routed = await runPython(PY_CAPS, [String(ports.get(upA))]);
    assert.equal(routed.code, 0, routed.stderr);
    assert.doesNotMatch(routed.stdout, /'IDLE'/, routed.stdout);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
});

test('--route usage errors: a clear line, exit 2', async () => {
  for (const [args, message] of [
    [['--route', '127.0.0.1:1143'], /--route must be LISTEN=SERVER/],
    [['--route', '127.0.0.1:0=127.0.0.1:143', '--upstream', '127.0.0.1:143'], /--upstream does not go with --socks or --route/],
    [['--route', '127.0.0.1:0=127.0.0.1:143', '--tls-ports', '993,x'], /--tls-ports must be a comma-separated list of ports/],
    [['--socks', '127.0.0.1:0', '--tls'], /do not go with --socks or --route: the server port decides/],
    [['--socks', '127.0.0.1:0', '--socks-auth', 'nocolon'], /--socks-auth must be USER:PASSWORD/],
    [['--socks', '127.0.0.1:0', '--resolve', 'name=not-an-ip'], /--resolve must be NAME=ADDRESS/],
    [['--socks', '127.0.0.1:0', '--listen', '127.0.0.1:1143'], /--listen goes with --upstream/],
    [['--route', '127.0.0.1:0=127.0.0.1:143', '--listen', '127.0.0.1:1143'], /--listen goes with --upstream/],
  ] as const) {
    const r = await runImapdbg(['proxy', '--headless', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
