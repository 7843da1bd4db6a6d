// `imapdbg doctor` against a real Dovecot: every item ok (keepalives made frequent by config),
// push latency measured with --append and the test messages gone afterwards (checked by python
// imaplib, a client independent of doctor), while a message the user had flagged \Deleted stays;
// wrong password, no IDLE capability and a closed port each get their verdict or exit status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { fixtureMessage } from '../fixtures-tools/fixture-messages';
import { assertNoStack, runDoctorCli, verdicts } from './doctor-report';

let inst: DovecotInstance;

before(async () => {
  // Dovecot sends "* OK Still here" every imap_idle_notify_interval: 2 s shows keepalives within a 5 s watch.
  inst = await startDovecot({ imapSettings: ['imap_idle_notify_interval = 2 secs'] });
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'kept'));
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(2, 'flagged deleted by the user'));
});

after(async () => {
  await inst.stop();
});

/** Flags message 2 \Deleted (as a user's client might have), or lists what INBOX holds. */
const PY_MAILBOX = `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
m.login(sys.argv[3], sys.argv[4])
if sys.argv[5] == 'create':
    print(m.create('Doctor'))
    m.select('Doctor')
    print('ALL', m.search(None, 'ALL')[1][0].decode())
    sys.exit(0)
if sys.argv[5] == 'doctor':
    m.select('Doctor')
    print('ALL', m.search(None, 'ALL')[1][0].decode())
    sys.exit(0)
m.select('INBOX')
if sys.argv[5] == 'flag':
    print(m.store('2', '+FLAGS', '(\\\\Deleted)'))
else:
    print('ALL', m.search(None, 'ALL')[1][0].decode())
    print('DELETED', m.search(None, 'DELETED')[1][0].decode())
    print('DOCTOR', m.search(None, 'SUBJECT', '"imapdbg doctor"')[1][0].decode())
m.logout()
`;

async function mailbox(action: 'flag' | 'list' | 'create' | 'doctor'): Promise<string> {
  const r = await runPython(PY_MAILBOX, [inst.host, String(inst.port), 'alice', inst.users.alice, action]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('a healthy Dovecot: every item ok, push latency measured, the test messages deleted and nothing else', async () => {
  await mailbox('flag');
  const run = await runDoctorCli([`${inst.host}:${inst.port}`, '--user', 'alice', '--password', inst.users.alice,
    '--append', '--tries', '3', '--watch', '5s', '--json']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  for (const [id, verdict] of Object.entries(verdicts(run))) assert.equal(verdict, 'ok', `${id}: ${run.items.get(id)?.value}`);
  const push = run.items.get('push-latency');
  assert.equal(typeof push?.ms, 'number');
  assert.match(push?.value ?? '', /of 3 .*test messages deleted/);
  assert.match(run.items.get('keepalive')?.value ?? '', /Still here/);
  // Piped: only the report, no progress lines.
  assert.equal(run.stderr, '');
  const after = await mailbox('list');
  assert.match(after, /^ALL 1 2$/m, 'the user\'s two messages are still there');
  assert.match(after, /^DELETED 2$/m, 'the user\'s \\Deleted message was not expunged');
  assert.match(after, /^DOCTOR $/m, 'no test message left');
});

test('--append-mailbox: the push test goes to that mailbox and leaves it as it was', async () => {
  assert.match(await mailbox('create'), /^ALL $/m);
  const run = await runDoctorCli([`${inst.host}:${inst.port}`, '--user', 'alice', '--password', inst.users.alice,
    '--append', '--append-mailbox', 'Doctor', '--tries', '1', '--watch', '1s', '--json']);
  assert.equal(verdicts(run)['push-latency'], 'ok', run.items.get('push-latency')?.value);
  assert.match(run.items.get('push-latency')?.value ?? '', /of 1 .*test messages deleted/);
  assert.match(await mailbox('doctor'), /^ALL $/m, 'Doctor is empty again');
  assert.match(await mailbox('list'), /^ALL 1 2$/m, 'INBOX untouched');
});

test('the table for people names each item with its RFC and verdict', async () => {
  const run = await runDoctorCli([`${inst.host}:${inst.port}`, '--user', 'alice', '--password', inst.users.alice, '--watch', '3s']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^IDLE in selected state .*RFC 2177 3 +ok /m);
  assert.match(run.stdout, /^push latency .*skipped \(needs --append/m);
  assert.match(run.stdout, /^0 problems, 0 warnings$/m);
});

test('a wrong password: a login problem, the rest not run, exit 1', async () => {
  const run = await runDoctorCli([`${inst.host}:${inst.port}`, '--user', 'alice', '--password', 'wrong', '--json']);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assertNoStack(run);
  const v = verdicts(run);
  assert.equal(v['login'], 'problem');
  assert.match(run.items.get('login')?.value ?? '', /AUTHENTICATIONFAILED/);
  for (const id of ['idle-selected', 'push-latency', 'keepalive']) assert.equal(v[id], 'not run', id);
});

test('nothing listening: exit 2 and one line', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  const run = await runDoctorCli([`127.0.0.1:${port}`, '--user', 'alice', '--password', 'x']);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^imapdbg: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED\n$/);
});

test('bad arguments: exit 2 and one line', async () => {
  for (const args of [['127.0.0.1:143', '--user', 'a', '--password', 'b', '--watch', 'soon'], ['nohost', '--user', 'a', '--password', 'b'],
    ['127.0.0.1:143', '--user', 'a', '--password', 'b', '--append-mailbox', 'Junk']]) {
    const run = await runDoctorCli(args);
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.split('\n').length, 2, run.stderr);
  }
});

test('a Dovecot without IDLE in its capabilities: a problem verdict, exit 1', async () => {
  const noIdle = await startDovecot({ imapSettings: ['imap_capability = IMAP4rev1 LITERAL+ UIDPLUS'] });
  try {
    const run = await runDoctorCli([`${noIdle.host}:${noIdle.port}`, '--user', 'alice', '--password', noIdle.users.alice, '--json']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(verdicts(run)['idle-after-login'], 'problem');
    assert.equal(verdicts(run)['login'], 'ok');
  } finally {
    await noIdle.stop();
  }
});

test('without UIDPLUS and with a user\'s message flagged \\Deleted: doctor does not EXPUNGE, says so', async () => {
  const noUidplus = await startDovecot({ imapSettings: ['imap_capability = IMAP4rev1 IDLE LITERAL+', 'imap_idle_notify_interval = 2 secs'] });
  try {
    await appendMessage(noUidplus, 'alice', 'INBOX', fixtureMessage(1, 'kept'));
    await appendMessage(noUidplus, 'alice', 'INBOX', fixtureMessage(2, 'flagged deleted by the user'));
    const py = (action: string): Promise<string> => runPython(PY_MAILBOX, [noUidplus.host, String(noUidplus.port), 'alice', noUidplus.users.alice, action]).then((r) => r.stdout);
    await py('flag');
    const run = await runDoctorCli([`${noUidplus.host}:${noUidplus.port}`, '--user', 'alice', '--password', noUidplus.users.alice,
      '--append', '--tries', '1', '--watch', '1s', '--json']);
    const push = run.items.get('push-latency');
    assert.equal(push?.verdict, 'warning', push?.value);
    assert.match(push?.value ?? '', /no UIDPLUS and other messages are flagged \\Deleted/);
    const after = await py('list');
    assert.match(after, /^ALL 1 2 3$/m, 'nothing expunged: the user\'s \\Deleted message is still there');
    assert.match(after, /^DELETED 2 3$/m, 'doctor\'s message is left flagged \\Deleted');
  } finally {
    await noUidplus.stop();
  }
});
