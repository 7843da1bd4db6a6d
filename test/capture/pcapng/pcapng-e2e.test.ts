// End to end with real peers: python imaplib through the real bin/imapdbg into a real Dovecot, a
// plain, a STARTTLS and an implicit-TLS session, recorded by `proxy --record X.pcapng`, then read by
// tshark: each connection's bytes are exactly what `imapdbg export --format raw` says each peer sent
// (decrypted), tshark lists the commands and tagged responses `imapdbg export --format text` shows,
// capinfos finds no error, an editcap copy reads the same in imapdbg; a proxy killed mid-session
// leaves a file both tools open.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDovecot, appendMessage, makeMessage, type DovecotInstance } from '../../harness/dovecot';
import { runPython } from '../../harness/python';
import { runImapdbg, startImapdbgProxy } from '../../harness/imapdbg-process';
import { connect } from 'node:net';
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

/** The commands and tagged responses of a text export: `a1 LOGIN ...`, `a1 OK ...`. */
function dialogLines(text: string): { commands: string[]; tagged: string[] } {
  const lines = text.split('\n');
  const pick = (re: RegExp): string[] => lines.flatMap((l) => { const m = re.exec(l); return m ? [m[1]] : []; });
  return { commands: pick(/ C: (\S+ [A-Z]+.*?)(?: {2}\[.*)?$/), tagged: pick(/ S: ((?!\*)\S+ (?:OK|NO|BAD)\b.*?)(?: {2}\[.*)?$/) };
}

for (const mode of ['plain', 'starttls', 'implicit'] as const) {
  test(`${mode} session recorded as pcapng: tshark sees the bytes each peer sent, the commands and responses; capinfos, editcap`, async () => {
    const pcapng = path.join(dir, `${mode}.pcapng`);
    const caDir = path.join(dir, 'ca');
    const upstreamPort = mode === 'implicit' ? dovecot.tlsPort : dovecot.port;
    const tlsArgs = mode === 'implicit' ? ['--tls', '--upstream-tls'] : [];
    const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${upstreamPort}`, ...tlsArgs, '--upstream-ca', dovecot.certPath,
      '--ca-dir', caDir, '--headless', '--record', pcapng]);
    try {
      const py = await runPython(PY_SESSION, [String(proxy.port), PASSWORD, mode, path.join(caDir, 'ca-cert.pem')]);
      assert.equal(py.code, 0, py.stderr);
      assert.match(py.stdout, /^FETCHED \d+$/m);
    } finally {
      assert.equal(await proxy.stop(), 0, proxy.stderr());
    }
    assert.equal(fs.statSync(pcapng).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(pcapng).readUInt32LE(0), 0x0a0d0d0a, 'a pcapng section header first');
    const follow = followRaw(pcapng, 0);
    for (const direction of ['client', 'server'] as const) {
      const raw = await runImapdbg(['export', pcapng, '--format', 'raw', '--session', '1', '--direction', direction]);
      assert.equal(raw.code, 0, raw.stderr);
      assert.ok(raw.stdout.length > 1000 || direction === 'client');
      assert.ok(follow[direction].equals(raw.stdout), `${mode} ${direction}: ${follow[direction].length} bytes in tshark, ${raw.stdout.length} sent`);
    }
    const exported = await runImapdbg(['export', pcapng, '--reveal-secrets']);
    assert.equal(exported.code, 0, exported.stderr);
    const text = exported.stdout.toString('utf8');
    const { commands, tagged } = dialogLines(text);
    assert.ok(commands.some((c) => /LOGIN/.test(c)) && commands.some((c) => /FETCH/.test(c)) && tagged.length >= commands.length - 1, text);
    const t = run('tshark', ['-r', pcapng, '-d', `tcp.port==${upstreamPort},imap`, '-Y', 'imap', '-T', 'fields', '-e', 'imap.request', '-e', 'imap.response']);
    assert.equal(t.status, 0, t.stderr);
    const rows = t.stdout.split('\n').map((l) => l.split('\t'));
    const requests = rows.map((c) => c[0] ?? '').filter((x) => x !== '');
    const responses = rows.map((c) => c[1] ?? '').filter((x) => x !== '');
    // In order: each command imapdbg framed is a request tshark lists; each tagged response is in a response it lists.
    let at = 0;
    for (const c of commands) {
      const i = requests.indexOf(c, at);
      assert.ok(i >= 0, `${mode}: tshark does not list "${c}" (after #${at}): ${JSON.stringify(requests)}`);
      at = i + 1;
    }
    at = 0;
    for (const r of tagged) {
      const i = responses.findIndex((x, j) => j >= at && x.includes(r));
      assert.ok(i >= 0, `${mode}: tshark shows no response "${r}": ${JSON.stringify(responses)}`);
      at = i + 1;
    }
    const info = run('capinfos', [pcapng]);
    assert.equal(info.status, 0, info.stderr);
    // A copy rewritten by editcap still reads in imapdbg, the same transcript.
    const edited = path.join(dir, `${mode}-editcap.pcapng`);
    const e = run('editcap', [pcapng, edited]);
    assert.equal(e.status, 0, e.stderr);
    const again = await runImapdbg(['export', edited, '--reveal-secrets']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.toString('utf8'), text);
  });
}

/** Bytes from `socket` until `done` says enough (bounded by the test runner's timeout). */
function readUntil(socket: ReturnType<typeof connect>, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (done(text)) { socket.off('data', onData); resolve(text); }
    };
    socket.on('data', onData);
  });
}

test('proxy killed (SIGKILL) mid-session: the file opens in tshark and in imapdbg export up to its last whole block', async () => {
  const pcapng = path.join(dir, 'killed.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', pcapng]);
  const socket = connect(proxy.port, '127.0.0.1');
  try {
    await readUntil(socket, (t) => t.includes('\r\n'));
    socket.write(`k1 LOGIN alice ${PASSWORD}\r\n`);
    await readUntil(socket, (t) => /k1 OK/.test(t));
    socket.write('k2 SELECT INBOX\r\n');
    await readUntil(socket, (t) => /k2 OK/.test(t));
    // Wait (bounded) until the recording holds the answer to SELECT: its packet is written once the
    // session goes quiet, with the records of the frames before it.
    for (let i = 0; i < 100 && !fs.readFileSync(pcapng).includes('k2 OK'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fs.readFileSync(pcapng).includes('k2 OK'), 'the recording holds the SELECT answer');
  } finally {
    await proxy.stop('SIGKILL');
    socket.destroy();
  }
  const t = run('tshark', ['-r', pcapng, '-d', `tcp.port==${dovecot.port},imap`, '-Y', 'imap', '-T', 'fields', '-e', 'imap.request']);
  assert.ok(t.status === 0 || /cut short/.test(t.stderr), `tshark: ${t.status} ${t.stderr}`);
  assert.ok(t.stdout.includes('k2 SELECT INBOX'), t.stdout);
  const text = await runImapdbg(['export', pcapng]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout.toString('utf8'), / C: k1 LOGIN alice \S+/);
  assert.doesNotMatch(text.stdout.toString('utf8'), new RegExp(PASSWORD), 'masked in the text export');
  const raw = await runImapdbg(['export', pcapng, '--format', 'raw', '--session', '1', '--direction', 'client']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdout.toString('latin1'), `k1 LOGIN alice ${PASSWORD}\r\nk2 SELECT INBOX\r\n`);
});
