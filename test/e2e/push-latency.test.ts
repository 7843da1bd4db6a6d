// Issue 13, push latency: two real imaplib sessions of one user through the real proxy to Dovecot.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg } from '../harness/imapdbg-process';
import { runPython } from '../harness/python';
import { startChain } from './phases-clients';

/**
 * Session A (python3 imaplib) selects argv[5] and idles (imaplib has no IDLE before 3.14: sent
 * raw); once the server's "+" came, session B logs in and APPENDs to INBOX. With argv[6] == "wait",
 * A then reads until an EXISTS; either way A ends its IDLE with DONE and both log out, so the
 * change is decided by ordering, not by time. argv: host port user password mailbox wait|nowait
 */
const PY_IDLE_AND_APPEND = String.raw`
import imaplib, sys
host, port, user, password, mailbox, wait = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
a = imaplib.IMAP4(host, port)
a.login(user, password)
if mailbox != 'INBOX':
    a.create(mailbox)
typ, _ = a.select(mailbox)
assert typ == 'OK', typ
tag = a._new_tag()
a.send(tag + b' IDLE\r\n')
line = a.readline()
assert line.startswith(b'+'), line
b = imaplib.IMAP4(host, port)
b.login(user, password)
typ, data = b.append('INBOX', None, None, b'Subject: push\r\n\r\nhello\r\n')
assert typ == 'OK', (typ, data)
if wait == 'wait':
    while True:
        line = a.readline()
        print('A got', line.decode().strip())
        if line.endswith(b'EXISTS\r\n'):
            break
a.send(b'DONE\r\n')
while True:
    line = a.readline()
    if line.startswith(tag):
        break
a.logout()
b.logout()
print('done')
`;

let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-push-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('A idles on INBOX, B APPENDs: headless relates A\'s EXISTS to B\'s APPEND OK; stats gives INBOX a push latency', async () => {
  const capture = path.join(dir, 'push.imapcap');
  const chain = await startChain(dovecot, capture, ['--push-timeout', '1s']);
  let py;
  try {
    py = await runPython(PY_IDLE_AND_APPEND, ['127.0.0.1', String(chain.tapC.port), 'alice', dovecot.users.alice, 'INBOX', 'wait']);
  } finally {
    await chain.close();
  }
  assert.equal(py.code, 0, py.stderr);
  assert.match(py.stdout, /A got \* \d+ EXISTS/);
  const out = chain.proxy.stdout();
  // Session #1 is A (it connected first), #2 is B.
  assert.match(out, /#1 S: \* \d+ EXISTS .*\[push-heard fromSession=2 fromSeq=\d+ command=APPEND mailbox=INBOX latency=[0-9.]+(µs|ms|s) beforeOk=(false|true)\]/);
  assert.doesNotMatch(out, /push-unheard/);
  assert.match(out, /^push latency INBOX: /m);

  const stats = await runImapdbg(['stats', capture]);
  assert.equal(stats.code, 0, stats.stderr);
  const line = /^push latency INBOX: (\d+) heard, (.*)$/m.exec(stats.stdout.toString());
  assert.ok(line, stats.stdout.toString());
  // Heard after the OK (a latency), or, if Dovecot's update overtook B's OK, counted as before the OK.
  assert.ok(line[1] === '1' ? /^median [0-9.]+ (µs|ms|s), p95 /.test(line[2]) : /1 before the OK/.test(line[2]), line[0]);
  const lint = await runImapdbg(['lint', capture]);
  assert.doesNotMatch(lint.stdout.toString(), /push-unheard/);
});

test('A idles on another mailbox, B APPENDs to INBOX: the push-unheard finding, live and in lint', async () => {
  const capture = path.join(dir, 'unheard.imapcap');
  const chain = await startChain(dovecot, capture, ['--push-timeout', '1s']);
  let py;
  try {
    py = await runPython(PY_IDLE_AND_APPEND, ['127.0.0.1', String(chain.tapC.port), 'bob', dovecot.users.bob, 'Archive', 'nowait']);
  } finally {
    await chain.close();
  }
  assert.equal(py.code, 0, py.stderr);
  const out = chain.proxy.stdout();
  assert.match(out, /#2 !! info push-unheard: APPEND into INBOX answered OK, but no session of this user idles on INBOX \(#1 idles on another mailbox\)/);
  assert.doesNotMatch(out, /push-heard/);
  const lint = await runImapdbg(['lint', capture, '--push-timeout', '1s']);
  assert.match(lint.stdout.toString(), /#2 info push-unheard \(RFC 2177 3\): APPEND into INBOX answered OK.* \(no frame\)$/m);
  const stats = await runImapdbg(['stats', capture]);
  assert.match(stats.stdout.toString(), /^push latency INBOX: 0 heard, no latency, 1 unheard$/m);
});
