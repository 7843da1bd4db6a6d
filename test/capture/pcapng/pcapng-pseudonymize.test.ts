// export --format pcapng --pseudonymize with real peers: python imaplib through the real bin/imapdbg
// into a real Dovecot creates, lists, selects and fetches mailboxes with distinctive names and a
// message with a distinctive body. The pseudonymized copy holds none of those, nor the addresses or
// the password (grepped in its bytes; tshark's own view of the addresses), while tshark lists the
// same number of IMAP requests and responses, the text export works with stable placeholders (the
// same name gives the same placeholder, different names differ) and --session still seeks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../../harness/dovecot';
import { runPython } from '../../harness/python';
import { runImapdbg, startImapdbgProxy } from '../../harness/imapdbg-process';
import { run, tmpDir } from './pcapng-support';

const PASSWORD = 'pw-Pseudo-7731';
let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD } });
  dir = tmpDir();
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const PY_SESSION = String.raw`
import imaplib, sys
port, pw = int(sys.argv[1]), sys.argv[2]
m = imaplib.IMAP4('127.0.0.1', port)
m.login('alice', pw)
for name in ['Zeppelin', '"Quokka Archive"']:
    typ, dat = m.create(name); assert typ == 'OK', dat
body = b'Subject: hello\r\n\r\nMarmalade-Body-Text line one\r\nline two\r\n'
typ, dat = m.append('Zeppelin', None, None, body); assert typ == 'OK', dat
typ, dat = m.select('Zeppelin'); assert typ == 'OK', dat
typ, dat = m.fetch('1', '(BODY.PEEK[])'); assert typ == 'OK', dat
assert b'Marmalade-Body-Text' in dat[0][1]
typ, dat = m.list(); assert typ == 'OK', dat
typ, dat = m.status('"Quokka Archive"', '(MESSAGES)'); assert typ == 'OK', dat
typ, dat = m.select('Nonexistent-Walrus'); assert typ == 'NO', dat
print('DONE')
m.logout()
`;

function imapFields(file: string, port: number): { requests: number; responses: number } {
  const t = run('tshark', ['-r', file, '-d', `tcp.port==${port},imap`, '-Y', 'imap', '-T', 'fields', '-e', 'imap.request', '-e', 'imap.response']);
  assert.equal(t.status, 0, t.stderr);
  const rows = t.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  return { requests: rows.filter((c) => (c[0] ?? '') !== '').length, responses: rows.filter((c) => (c[1] ?? '') !== '').length };
}

test('--pseudonymize: no trace of addresses, mailbox names, literal bodies or secrets; tshark and imapdbg still read it', async () => {
  const original = path.join(dir, 'session.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', original]);
  try {
    const py = await runPython(PY_SESSION, [String(proxy.port), PASSWORD]);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /^DONE$/m);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const copy = path.join(dir, 'anonymous.pcapng');
  const r = await runImapdbg(['export', original, '--format', 'pcapng', '--pseudonymize', '-o', copy]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /mailbox names/);
  assert.equal(fs.statSync(copy).mode & 0o777, 0o600);

  const before = fs.readFileSync(original);
  const after = fs.readFileSync(copy);
  const originals = ['Zeppelin', 'Quokka Archive', 'Quokka', 'Marmalade-Body-Text', 'Nonexistent-Walrus', PASSWORD, '127.0.0.1'];
  for (const o of originals) {
    assert.ok(before.includes(o), `the recorded capture holds ${o}`);
    assert.ok(!after.includes(o), `the pseudonymized copy holds no ${o}`);
  }
  // The synthetic TCP endpoints, as tshark sees them.
  const ips = run('tshark', ['-r', copy, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst']);
  assert.equal(ips.status, 0, ips.stderr);
  assert.ok(ips.stdout.trim() !== '' && !ips.stdout.includes('127.0.0.1'), ips.stdout.slice(0, 200));

  // tshark dissects the same IMAP dialogue.
  const was = imapFields(original, dovecot.port);
  const is = imapFields(copy, dovecot.port);
  assert.ok(was.requests >= 10 && was.responses >= 10, JSON.stringify(was));
  assert.deepEqual(is, was);
  assert.equal(run('capinfos', [copy]).status, 0);

  // imapdbg reads it: the same transcript shape, stable placeholders.
  const textBefore = (await runImapdbg(['export', original])).stdout.toString('utf8');
  const exported = await runImapdbg(['export', copy]);
  assert.equal(exported.code, 0, exported.stderr);
  const text = exported.stdout.toString('utf8');
  assert.equal(text.split('\n').length, textBefore.split('\n').length);
  const created = [...text.matchAll(/ C: \S+ CREATE (\S+|"[^"]*")/g)].map((m) => m[1].replace(/"/g, ''));
  assert.equal(created.length, 2, text);
  assert.notEqual(created[0], created[1], 'different names, different placeholders');
  assert.equal(created[0].length, 'Zeppelin'.length);
  const selected = /C: \S+ SELECT (\S+)/.exec(text)?.[1];
  assert.equal(selected, created[0], 'the same name, the same placeholder');
  const status = /C: \S+ STATUS "([^"]*)"/.exec(text)?.[1];
  assert.equal(status, created[1]);
  assert.match(text, new RegExp(`\\* LIST \\([^)]*\\) "[./]" ${created[0]}`));

  // Lengths kept: a session's raw bytes through the rebuilt index are as long as before.
  for (const direction of ['client', 'server']) {
    const a = await runImapdbg(['export', original, '--format', 'raw', '--session', '1', '--direction', direction]);
    const b = await runImapdbg(['export', copy, '--format', 'raw', '--session', '1', '--direction', direction]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout.length, a.stdout.length);
  }
  assert.equal((await runImapdbg(['lint', copy])).code, (await runImapdbg(['lint', original])).code);
});
