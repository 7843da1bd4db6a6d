// `imapdbg replay --against`: a capture of a real Dovecot dialog (python imaplib through the proxy)
// is played against fresh Dovecots: the same mailbox gives no diff, one more message gives the
// expected diff and exit status 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { recordThroughProxy } from '../fixtures-tools/record-through-proxy';
import { fixtureMessage } from '../fixtures-tools/fixture-messages';
import { runCli } from '../fixtures-tools/run-cli';

const DIALOG = `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login(sys.argv[3], sys.argv[4])
print(m.select('INBOX'))
print(m.fetch('1:*', '(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])'))
print(m.status('INBOX', '(MESSAGES UIDNEXT)'))
m.logout()
`;

let dir: string;
let capture: string;
const started: DovecotInstance[] = [];

async function mailbox(extra: boolean): Promise<DovecotInstance> {
  const inst = await startDovecot();
  started.push(inst);
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'first'));
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(2, 'second'));
  if (extra) await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(3, 'an extra one'));
  return inst;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-against-'));
  capture = path.join(dir, 'dialog.imapcap');
  const inst = await mailbox(false);
  await recordThroughProxy(inst, capture, async (proxy) => {
    const r = await runPython(DIALOG, [proxy.host, String(proxy.port), 'alice', inst.users.alice]);
    assert.equal(r.code, 0, r.stderr);
  });
});

after(async () => {
  await Promise.all(started.map((i) => i.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a fresh Dovecot with the same messages answers as recorded', async () => {
  const inst = await mailbox(false);
  const r = await runCli(['replay', capture, '--against', `127.0.0.1:${inst.port}`,
    '--user', 'alice', '--password', inst.users.alice, '--ignore', 'uidvalidity,dates']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^imapdbg replay: no differences in 7 exchanges \(ignoring uidvalidity, dates\)$/m);
});

test('without --ignore the new UIDVALIDITY is a difference', async () => {
  const inst = await mailbox(false);
  const r = await runCli(['replay', capture, '--against', `127.0.0.1:${inst.port}`, '--ignore', 'dates']);
  // UIDVALIDITY is the mailbox creation time in seconds: the same second would make it equal.
  if (r.code === 0) return;
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^-\* OK \[UIDVALIDITY \d+\] UIDs valid$/m);
  assert.match(r.stdout, /^\+\* OK \[UIDVALIDITY \d+\] UIDs valid$/m);
});

test('one more message in the mailbox gives the expected diff and exit status 1', async () => {
  const inst = await mailbox(true);
  const r = await runCli(['replay', capture, '--against', `127.0.0.1:${inst.port}`, '--ignore', 'uidvalidity,dates']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^--- recorded: .*dialog\.imapcap, session 1$/m);
  assert.match(r.stdout, /^@@ \S+ SELECT INBOX @@$/m);
  assert.match(r.stdout, /^-\* 2 EXISTS$/m);
  assert.match(r.stdout, /^\+\* 3 EXISTS$/m);
  assert.match(r.stdout, /^\+\* 3 FETCH \(FLAGS \(\\Recent\) INTERNALDATE "<date>" RFC822.SIZE 600 /m);
  assert.match(r.stdout, /^-\* STATUS INBOX \(MESSAGES 2 UIDNEXT 3\)$/m);
  assert.match(r.stdout, /^imapdbg replay: 3 of 7 exchanges differ/m);
  // With counts ignored the SELECT and STATUS agree; the third message in FETCH still differs.
  const c = await runCli(['replay', capture, '--against', `127.0.0.1:${inst.port}`, '--ignore', 'uidvalidity,dates,counts']);
  assert.equal(c.code, 1);
  assert.match(c.stdout, /^imapdbg replay: 1 of 7 exchanges differ/m);
});
