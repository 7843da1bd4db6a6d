// Smoke test of the Dovecot harness, talking DIRECTLY to Dovecot (no proxy) through real clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { ImapFlow } from 'imapflow';
import { startDovecot, appendMessage, makeMessage, type DovecotInstance } from './dovecot';
import { runPython } from './python';
import { readUntil, release, tagged } from './lines';

let dc: DovecotInstance;
const T = { timeout: 60_000 }; // per-test bound: a hang becomes a failure

before(async () => {
  dc = await startDovecot();
});
after(async () => {
  await dc?.stop();
});

/** Connects, checks the greeting and logs in; for raw-socket tests. */
async function rawLogin(user: string): Promise<net.Socket> {
  const sock = net.connect(dc.port, dc.host);
  const [greeting] = await readUntil(sock, () => true);
  assert.match(greeting, /^\* OK/);
  sock.write(`a1 LOGIN ${user} ${dc.users[user]}\r\n`);
  const lines = await readUntil(sock, tagged('a1'));
  assert.match(lines[lines.length - 1], /^a1 OK/);
  return sock;
}

function uniqueSubject(what: string): string {
  return `${what} ${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
}

test('makeMessage: exact size, CRLF only, header/body separator', () => {
  // Sweep across the header length (~250) and the 81-bytes-left corner of the last body line.
  const sizes = [0, 1, 4096, 100_000, ...Array.from({ length: 200 }, (_, i) => 250 + i)];
  for (const size of sizes) {
    const m = makeMessage(size, 'size check').toString('latin1');
    if (size >= 300) assert.equal(m.length, size);
    assert.doesNotMatch(m, /[^\r]\n/, 'bare LF');
    assert.doesNotMatch(m, /\r[^\n]/, 'bare CR');
    assert.match(m, /^From: .*\r\nTo: .*\r\nSubject: size check\r\n[^]*?\r\n\r\n/);
    assert.ok(m.endsWith('\r\n'));
    for (const line of m.split('\r\n')) assert.ok(line.length <= 78, `line too long: ${line.length}`);
  }
});

test('python imaplib: LOGIN, SELECT, APPEND, SEARCH', T, async () => {
  const script = `
import imaplib, json, sys
host, port, user, pw, subj = sys.argv[1:]
out = {}
M = imaplib.IMAP4(host, int(port))
out['login'] = M.login(user, pw)[0]
typ, data = M.select('INBOX')
out['select'], out['exists'] = typ, int(data[0])
msg = ('From: a@localhost\\r\\nTo: b@localhost\\r\\nSubject: %s\\r\\n\\r\\nhello\\r\\n' % subj).encode()
out['append'] = M.append('INBOX', None, None, msg)[0]
out['all'] = M.search(None, 'ALL')[1][0].decode().split()
out['found'] = M.search(None, 'SUBJECT', '"%s"' % subj)[1][0].decode().split()
M.logout()
print(json.dumps(out))
`;
  const subj = uniqueSubject('imaplib');
  const r = await runPython(script, [dc.host, String(dc.port), 'alice', dc.users.alice, subj]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, string | number | string[]>;
  assert.equal(out.login, 'OK');
  assert.equal(out.select, 'OK');
  assert.equal(out.append, 'OK');
  assert.equal((out.all as string[]).length, (out.exists as number) + 1);
  assert.equal((out.found as string[]).length, 1);
});

test('python imaplib: STARTTLS on the plain port, verified against certPath', T, async () => {
  const script = `
import imaplib, json, ssl, sys
host, port, user, pw, cafile = sys.argv[1:]
M = imaplib.IMAP4(host, int(port))
out = {'caps_before': list(M.capabilities)}
M.starttls(ssl_context=ssl.create_default_context(cafile=cafile))
out['tls'] = M.sock.version()
out['login'] = M.login(user, pw)[0]
out['select'] = M.select('INBOX')[0]
M.logout()
print(json.dumps(out))
`;
  const r = await runPython(script, [dc.host, String(dc.port), 'alice', dc.users.alice, dc.certPath]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { caps_before: string[]; tls: string; login: string; select: string };
  assert.ok(out.caps_before.includes('STARTTLS'), out.caps_before.join(' '));
  assert.match(out.tls, /^TLSv1\.[23]$/);
  assert.equal(out.login, 'OK');
  assert.equal(out.select, 'OK');
});

test('python imaplib: IMAP4_SSL on tlsPort by host name localhost, verified against certPath', T, async () => {
  const script = `
import imaplib, json, ssl, sys
host, port, user, pw, cafile = sys.argv[1:]
M = imaplib.IMAP4_SSL(host, int(port), ssl_context=ssl.create_default_context(cafile=cafile))
out = {'subject': dict(x[0] for x in M.sock.getpeercert()['subject'])}
out['login'] = M.login(user, pw)[0]
out['select'] = M.select('INBOX')[0]
M.logout()
print(json.dumps(out))
`;
  const r = await runPython(script, ['localhost', String(dc.tlsPort), 'bob', dc.users.bob, dc.certPath]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { subject: Record<string, string>; login: string; select: string };
  assert.equal(out.subject.commonName, 'localhost');
  assert.equal(out.login, 'OK');
  assert.equal(out.select, 'OK');
});

test('imapflow: STARTTLS, mailboxOpen, fetch one message', T, async () => {
  const subject = uniqueSubject('imapflow');
  const uid = await appendMessage(dc, 'alice', 'INBOX', makeMessage(5000, subject));
  assert.ok(uid !== undefined && uid > 0, 'APPENDUID');
  const client = new ImapFlow({
    host: dc.host, port: dc.port, secure: false, doSTARTTLS: true,
    tls: { ca: [fs.readFileSync(dc.certPath)] },
    auth: { user: 'alice', pass: dc.users.alice },
    logger: false, disableAutoIdle: true, connectionTimeout: 10_000, greetingTimeout: 10_000,
  });
  await client.connect();
  try {
    assert.equal(client.secureConnection, true);
    const box = await client.mailboxOpen('INBOX');
    assert.ok(box.exists >= 1);
    const msg = await client.fetchOne(String(uid), { envelope: true, source: true }, { uid: true });
    assert.ok(msg, 'message not found');
    assert.equal(msg.envelope?.subject, subject);
    assert.equal(msg.source?.length, 5000);
  } finally {
    await client.logout();
  }
});

test('COMPRESS=DEFLATE is advertised after login and works', T, async () => {
  const sock = await rawLogin('alice');
  try {
    sock.write('a2 CAPABILITY\r\n');
    const caps = await readUntil(sock, tagged('a2'));
    assert.match(caps[caps.length - 1], /^a2 OK/);
    assert.ok(caps.some((l) => /^\* CAPABILITY .*\bCOMPRESS=DEFLATE\b/.test(l)), caps.join('\n'));

    sock.write('a3 COMPRESS DEFLATE\r\n');
    const ok = await readUntil(sock, tagged('a3'));
    assert.match(ok[ok.length - 1], /^a3 OK/);
    assert.equal(release(sock).length, 0); // nothing may follow the OK uncompressed
    const inflate = zlib.createInflateRaw();
    const deflate = zlib.createDeflateRaw();
    sock.pipe(inflate);
    deflate.pipe(sock);
    deflate.write('a4 NOOP\r\n');
    deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    const noop = await readUntil(inflate, tagged('a4'));
    assert.match(noop[noop.length - 1], /^a4 OK/);
  } finally {
    sock.destroy();
  }
});

test('IDLE sees an APPEND from another connection as EXISTS', T, async () => {
  const sock = await rawLogin('bob');
  try {
    sock.write('a2 SELECT INBOX\r\n');
    const sel = await readUntil(sock, tagged('a2'));
    assert.match(sel[sel.length - 1], /^a2 OK/);
    const existsLine = sel.find((l) => /^\* \d+ EXISTS$/.test(l));
    assert.ok(existsLine, sel.join('\n'));
    const before = Number(existsLine.split(' ')[1]);

    sock.write('a3 IDLE\r\n');
    const cont = await readUntil(sock, (l) => l.startsWith('+') || l.startsWith('a3 '));
    assert.equal(cont[cont.length - 1], '+ idling');

    await appendMessage(dc, 'bob', 'INBOX', makeMessage(1000, uniqueSubject('idle')));
    const upd = await readUntil(sock, (l) => /^\* \d+ EXISTS$/.test(l) || l.startsWith('a3 '));
    assert.equal(upd[upd.length - 1], `* ${before + 1} EXISTS`);

    sock.write('DONE\r\n');
    const done = await readUntil(sock, tagged('a3'));
    assert.match(done[done.length - 1], /^a3 OK/);
  } finally {
    sock.destroy();
  }
});

test('a second instance runs beside the first, and stop() removes it completely', T, async () => {
  const other = await startDovecot({ users: { carol: 'pw' } });
  try {
    assert.notEqual(other.port, dc.port);
    assert.deepEqual(other.users, { carol: 'pw' });
    (await rawLogin('alice')).destroy(); // the first one still works
    // A failed LOGIN (Dovecot answers it after its ~2 s auth_failure_delay) ...
    const bad = net.connect(other.port, other.host);
    await readUntil(bad, (l) => l.startsWith('* OK'));
    bad.write('a0 LOGIN carol wrong\r\n');
    const no = await readUntil(bad, tagged('a0'));
    bad.destroy();
    assert.match(no[no.length - 1], /^a0 NO \[AUTHENTICATIONFAILED\]/);
    // ... then a good one on a new connection (not held back by anvil's penalty: see dovecot.ts).
    const sock = net.connect(other.port, other.host);
    await readUntil(sock, (l) => l.startsWith('* OK'));
    sock.write('a1 LOGIN carol pw\r\n');
    const login = await readUntil(sock, tagged('a1'));
    sock.destroy();
    assert.match(login[login.length - 1], /^a1 OK/);
    assert.ok(fs.existsSync(other.logPath));
    // appendMessage creates a missing mailbox, and appends to an existing one
    assert.equal(await appendMessage(other, 'carol', 'Archive', makeMessage(500, 'one')), 1);
    assert.equal(await appendMessage(other, 'carol', 'Archive', makeMessage(500, 'two')), 2);
  } finally {
    await other.stop();
  }
  await other.stop(); // idempotent
  assert.equal(fs.existsSync(other.dir), false);
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const s = net.connect(other.port, other.host);
    s.once('connect', () => (s.destroy(), resolve(null)));
    s.once('error', resolve);
  });
  assert.equal(err?.code, 'ECONNREFUSED');
});
