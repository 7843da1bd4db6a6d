// End to end with real peers: python imaplib through the real bin/imapdbg into a real Dovecot, a
// STARTTLS session and an implicit-TLS session, recorded (today's JSON Lines), converted by
// `imapdbg convert`, then read by tshark: each connection's bytes are exactly what `imapdbg export
// --format raw` says each peer sent (decrypted), and tshark lists the commands imapdbg framed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDovecot, appendMessage, makeMessage, type DovecotInstance } from '../../harness/dovecot';
import { runPython } from '../../harness/python';
import { runImapdbg, startImapdbgProxy } from '../../harness/imapdbg-process';
import { followRaw, run, tmpDir } from './pcapng-support';

const PASSWORD = 'pw-Pcapng-143';
let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD } });
  await appendMessage(dovecot, 'alice', 'INBOX', makeMessage(200_000, 'pcapng'));
  dir = tmpDir();
  const r = await runImapdbg(['ca', 'init', '--ca-dir', path.join(dir, 'ca')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const PY_SESSION = String.raw`
import imaplib, ssl, sys
port, pw, mode, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx) if mode == 'implicit' else imaplib.IMAP4('127.0.0.1', port)
if mode == 'starttls':
    typ, dat = m.starttls(ssl_context=ctx); assert typ == 'OK', dat
m.login('alice', pw)
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
typ, dat = m.fetch('1', '(BODY.PEEK[])'); assert typ == 'OK', dat
print('FETCHED', len(dat[0][1]))
m.logout()
`;

for (const mode of ['starttls', 'implicit'] as const) {
  test(`${mode} session recorded, converted: tshark sees the decrypted bytes each peer sent and the commands`, async () => {
    const capture = path.join(dir, `${mode}.imapcap`);
    const pcapng = path.join(dir, `${mode}.pcapng`);
    const caDir = path.join(dir, 'ca');
    const upstreamPort = mode === 'implicit' ? dovecot.tlsPort : dovecot.port;
    const tlsArgs = mode === 'implicit' ? ['--tls', '--upstream-tls'] : [];
    const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${upstreamPort}`, ...tlsArgs, '--upstream-ca', dovecot.certPath,
      '--ca-dir', caDir, '--headless', '--record', capture]);
    try {
      const py = await runPython(PY_SESSION, [String(proxy.port), PASSWORD, mode, path.join(caDir, 'ca-cert.pem')]);
      assert.equal(py.code, 0, py.stderr);
      assert.match(py.stdout, /^FETCHED \d+$/m);
    } finally {
      assert.equal(await proxy.stop(), 0, proxy.stderr());
    }
    const conv = await runImapdbg(['convert', capture, pcapng]);
    assert.equal(conv.code, 0, conv.stderr);
    const follow = followRaw(pcapng, 0);
    for (const direction of ['client', 'server'] as const) {
      const raw = await runImapdbg(['export', capture, '--format', 'raw', '--session', '1', '--direction', direction]);
      assert.equal(raw.code, 0, raw.stderr);
      assert.ok(raw.stdout.length > 1000 || direction === 'client');
      assert.ok(follow[direction].equals(raw.stdout), `${mode} ${direction}: ${follow[direction].length} bytes in tshark, ${raw.stdout.length} sent`);
    }
    const text = (await runImapdbg(['export', capture, '--reveal-secrets'])).stdout.toString('utf8');
    const commands = [...text.matchAll(/ C: (\S+ [A-Z]+.*?)(?:  \[|$)/gm)].map((m) => m[1]);
    assert.ok(commands.some((c) => /LOGIN/.test(c)) && commands.some((c) => /FETCH/.test(c)), text);
    const t = run('tshark', ['-r', pcapng, '-d', `tcp.port==${upstreamPort},imap`, '-Y', 'imap.request', '-T', 'fields', '-e', 'imap.request']);
    assert.equal(t.status, 0, t.stderr);
    const requests = t.stdout.split('\n');
    for (const c of commands) assert.ok(requests.includes(c), `${mode}: tshark does not list "${c}": ${JSON.stringify(requests)}`);
    assert.equal(run('capinfos', [pcapng]).status, 0);
  });
}
