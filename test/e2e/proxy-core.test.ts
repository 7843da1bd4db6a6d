// Issue 2 end to end: real Dovecot, real clients (python imaplib, imapflow), the real CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { appendMessage, makeMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { startRecordingTap, type RecordingTap } from '../harness/recording-tap';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { assertBytesTransparent, captureEvents, pairOf, sessionFrames } from './capture-check';
import { frameText } from '../../src/imap/frame-text';
import { readPcapngCapture } from '../../src/capture/pcapng/pcapng-capture-reader';

const PASSWORD = 'pw-Zebra-42';
let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD, bob: PASSWORD } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-e2e-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** client -> tapC -> imapdbg -> tapS -> Dovecot */
async function chain(extra: string[], capture: string): Promise<{ tapC: RecordingTap; tapS: RecordingTap; proxy: Awaited<ReturnType<typeof startImapdbgProxy>> }> {
  const tapS = await startRecordingTap(dovecot.port);
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${tapS.port}`, '--headless', '--record', capture, ...extra]);
  const tapC = await startRecordingTap(proxy.port);
  return { tapC, tapS, proxy };
}

const PY_SESSION = String.raw`
import imaplib, sys, hashlib
host, port, user, pw, direct_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
m = imaplib.IMAP4(host, port)
m.literal = pw.encode()                       # LOGIN with the password as a synchronizing literal
typ, dat = m._simple_command('LOGIN', user)
assert typ == 'OK', dat
m.state = 'AUTH'
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
typ, dat = m.append('INBOX', None, None, b'Subject: small\r\n\r\nhello\r\n'); assert typ == 'OK', dat
typ, dat = m.fetch('1', '(BODY.PEEK[])'); assert typ == 'OK', dat
body = dat[0][1]
print('FETCHED', len(body), hashlib.sha256(body).hexdigest())
tag = m._new_tag().decode()
m.send(('%s IDLE\r\n' % tag).encode())
line = m.readline(); assert line.startswith(b'+'), line
other = imaplib.IMAP4(host, direct_port)     # a second connection, straight to Dovecot
other.login(user, pw)
other.append('INBOX', None, None, b'Subject: push\r\n\r\nnew mail\r\n')
other.logout()
while True:
    line = m.readline()
    if b'EXISTS' in line:
        print('UPDATE', line.decode().strip()); break
m.send(b'DONE\r\n')
while True:
    line = m.readline()
    if line.startswith(tag.encode()):
        print('IDLE-END', line.decode().strip()); break
m.logout()
`;

test('python imaplib through the CLI proxy: literal LOGIN, SELECT, APPEND, 5 MB FETCH, IDLE with EXISTS, LOGOUT', async () => {
  const big = makeMessage(5 * 1024 * 1024, 'big one');
  await appendMessage(dovecot, 'alice', 'INBOX', big);
  const capture = path.join(dir, 'python.pcapng');
  const { tapC, tapS, proxy } = await chain(['--utc'], capture);
  try {
    const py = await runPython(PY_SESSION, ['127.0.0.1', String(tapC.port), 'alice', PASSWORD, String(dovecot.port)], { timeoutMs: 60_000 });
    assert.equal(py.code, 0, py.stderr);
    const bigSha = createHash('sha256').update(big).digest('hex');
    assert.match(py.stdout, new RegExp(`FETCHED ${big.length} ${bigSha}`));
    assert.match(py.stdout, /UPDATE \* \d+ EXISTS/);
    assert.match(py.stdout, /IDLE-END \S+ OK/);
  } finally {
    assert.equal(await proxy.stop('SIGTERM'), 0, proxy.stderr());
    await tapC.close();
    await tapS.close();
  }
  assert.match(proxy.stderr(), /capture flushed/);
  assert.equal(fs.statSync(capture).mode & 0o777, 0o600);
  // Frame records carry the secret overwritten; only the packet payloads hold the raw bytes.
  const file = fs.readFileSync(capture);
  assert.ok(file.includes(PASSWORD), 'the packets keep the real bytes');
  await readPcapngCapture(capture, () => undefined, { data: false, packets: (p) => { file.fill(0, p.fileOffset, p.fileOffset + p.length); } });
  assert.ok(!file.toString('latin1').includes(PASSWORD), 'password in clear outside the packet payloads');
  assert.equal(tapC.connections.length, 1);
  await assertBytesTransparent(capture, 1, tapC.connections[0], tapS.connections[0]);

  const frames = sessionFrames(await captureEvents(capture), 1);
  const text = frames.map((f) => `${f.direction === 'client' ? 'C' : 'S'}: ${frameText(f, { revealSecrets: false })}`);
  // LOGIN split at the synchronizing literal, the password masked.
  const login = frames.findIndex((f) => f.verb === 'LOGIN');
  assert.equal(frames[login].kind, 'command');
  assert.match(text[login], /^C: \S+ LOGIN alice \{11\}$/);
  assert.equal(frames[login + 1].kind, 'continuation');
  assert.equal(frames[login + 2].kind, 'command-continuation');
  assert.deepEqual(frames[login + 2].secrets, [{ part: 0, literal: true }]);
  assert.ok(!text.join('\n').includes(PASSWORD), 'password leaked into frame text');
  const pairs = frames.filter((f) => f.kind === 'tagged').map((f) => pairOf(f)?.command);
  for (const cmd of ['LOGIN', 'SELECT', 'APPEND', 'FETCH', 'IDLE', 'LOGOUT']) assert.ok(pairs.includes(cmd), `no tagged response paired with ${cmd}: ${pairs.join(',')}`);
  // The 5 MB literal: counted, not held (and not digested while forwarding: issue 10).
  const fetch = frames.find((f) => f.verb === 'FETCH' && f.kind === 'untagged');
  const lit = fetch?.parts.find((p) => p.type === 'literal');
  assert.ok(lit && lit.type === 'literal');
  assert.equal(lit.literal.size, big.length);
  assert.equal(lit.literal.received, big.length);
  assert.equal(lit.literal.sha256, '');
  assert.ok(lit.literal.preview.length <= 4096);
  // IDLE, +, EXISTS, DONE, tagged OK in order.
  const idle = frames.findIndex((f) => f.verb === 'IDLE');
  const after = frames.slice(idle).map((f) => f.kind);
  assert.deepEqual(after.slice(0, 2), ['command', 'continuation']);
  const exists = frames.slice(idle).find((f) => f.verb === 'EXISTS');
  const done = frames.slice(idle).findIndex((f) => f.kind === 'idle-done');
  assert.ok(exists && done > 0 && frames[idle + done + 1].kind === 'tagged' && pairOf(frames[idle + done + 1])?.command === 'IDLE');
  // Headless output: one line per frame in RFC notation.
  const out = proxy.stdout();
  assert.match(out, /#1 C: \S+ IDLE(?:  \[idle-requested [^\n]*)?\n/);
  assert.match(out, /#1 S: \+ idling/);
  assert.match(out, /#1 S: \* \d+ EXISTS/);
  assert.match(out, /#1 C: DONE/);
  assert.ok(!out.includes(PASSWORD), 'password leaked into headless output');
  // Exports: masked by default, revealed on request.
  const plain = await runImapdbg(['export', capture, '--format', 'text']);
  assert.equal(plain.code, 0);
  assert.ok(!plain.stdout.toString().includes(PASSWORD));
  const revealed = await runImapdbg(['export', capture, '--format', 'text', '--reveal-secrets']);
  assert.ok(revealed.stdout.toString().includes(PASSWORD));
  const json = await runImapdbg(['export', capture, '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const objs = json.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { text: string });
  assert.equal(objs.length, frames.length);
  assert.ok(!json.stdout.toString().includes(PASSWORD));
});

test('imapflow through the CLI proxy: login, append, 5 MB fetch, IDLE woken by EXISTS, logout', async () => {
  const capture = path.join(dir, 'imapflow.pcapng');
  const { tapC, tapS, proxy } = await chain([], capture);
  const big = makeMessage(5 * 1024 * 1024, 'big for imapflow');
  const client = new ImapFlow({ host: '127.0.0.1', port: tapC.port, secure: false, auth: { user: 'bob', pass: PASSWORD }, logger: false, disableAutoIdle: true, doSTARTTLS: false, disableCompression: true });
  try {
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.append('INBOX', big);
      const msg = await client.fetchOne('*', { source: true });
      assert.ok(msg && msg.source);
      assert.ok(msg.source.equals(big), 'fetched message differs from the appended one');
      const exists = new Promise<number>((resolve) => client.once('exists', (d: { count: number }) => resolve(d.count)));
      const idling = client.idle();
      // Wait (bounded) until the server's "+ idling" has passed the proxy, then append from elsewhere.
      for (let i = 0; i < 200 && !Buffer.concat(tapC.connections[0].fromServer).toString('latin1').includes('+ idling'); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await appendMessage(dovecot, 'bob', 'INBOX', makeMessage(500, 'push'));
      assert.ok((await exists) >= 2);
      await client.noop(); // breaks IDLE with DONE
      await idling;
    } finally {
      lock.release();
    }
    await client.logout();
  } finally {
    client.close();
    assert.equal(await proxy.stop('SIGINT'), 0, proxy.stderr());
    await tapC.close();
    await tapS.close();
  }
  await assertBytesTransparent(capture, 1, tapC.connections[0], tapS.connections[0]);
  const frames = sessionFrames(await captureEvents(capture), 1);
  const idle = frames.findIndex((f) => f.verb === 'IDLE');
  assert.ok(idle > 0, 'no IDLE frame');
  assert.equal(frames[idle + 1].kind, 'continuation');
  assert.ok(frames.slice(idle).some((f) => f.verb === 'EXISTS'));
  assert.ok(frames.slice(idle).some((f) => f.kind === 'idle-done'));
  // imapflow sends AUTHENTICATE PLAIN and its response on the next line (or SASL-IR): either way masked.
  const secretFrames = frames.filter((f) => f.kind === 'sasl' || f.verb === 'AUTHENTICATE' || f.verb === 'LOGIN');
  assert.ok(secretFrames.some((f) => f.secrets.length > 0), 'login secret not marked');
  assert.ok(!proxy.stdout().includes(PASSWORD));
  assert.ok(!proxy.stdout().includes(Buffer.from(`\0bob\0${PASSWORD}`).toString('base64')), 'SASL PLAIN response leaked');
});

test('a killed proxy leaves a capture readable up to its last complete block; a cut block is reported', async () => {
  const capture = path.join(dir, 'killed.pcapng');
  const { tapC, tapS, proxy } = await chain([], capture);
  const py = await runPython(String.raw`
import imaplib, sys
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1])); m.login('alice', sys.argv[2])
for i in range(20): m.noop()
print('DONE')
`, [String(tapC.port), PASSWORD]);
  assert.equal(py.code, 0, py.stderr);
  // Wait (bounded) for the last NOOP's record to reach the file, then kill without a chance to flush.
  for (let i = 0; i < 200 && (fs.readFileSync(capture, 'utf8').match(/"verb":"NOOP"/g) ?? []).length < 20; i++) await new Promise((r) => setTimeout(r, 25));
  await proxy.stop('SIGKILL');
  await tapC.close();
  await tapS.close();
  const whole = await runImapdbg(['export', capture]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal((whole.stdout.toString().match(/C: \S+ NOOP/g) ?? []).length, 20);
  // Cut the file inside its last block: everything before it still reads, and the cut is reported.
  const cut = path.join(dir, 'cut.pcapng');
  const bytes = fs.readFileSync(capture);
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
  const partial = await runImapdbg(['export', cut]);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stderr, /cut off/);
  assert.ok(partial.stdout.length > 0);
});

test('bad arguments print one clear line and exit 2; a newer capture version is refused', async () => {
  for (const args of [['proxy', '--upstream', 'nohost'], ['proxy', '--upstream', '127.0.0.1:99999'], ['export'], ['export', 'x', '--format', 'pdf'], ['nosuchcommand']]) {
    const r = await runImapdbg(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')} printed more than one line: ${r.stderr}`);
    assert.match(r.stderr, /^imapdbg: /);
  }
  const future = path.join(dir, 'future.imapcap');
  fs.writeFileSync(future, '{"r":"header","format":"imapdbg-capture","version":99,"createdUs":0,"tool":"imapdbg 9"}\n');
  const r = await runImapdbg(['export', future]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /version 99 is newer/);
  const missing = await runImapdbg(['export', path.join(dir, 'nope.imapcap')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot read capture/);
});
