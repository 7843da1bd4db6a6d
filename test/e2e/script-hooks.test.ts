// Issue 11, script hooks end to end: the real CLI with `--script`, a real Dovecot, python's imaplib.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { startImapdbgProxy } from '../harness/imapdbg-process';
import { runPython } from '../harness/python';

const EXAMPLES = path.resolve(__dirname, '../../../examples/scripts');

// Client A goes through the proxy, B straight to Dovecot. B appends; A's NOOP then hears of it
// (an EXISTS each time, no timing involved). Then A idles twice (raw IDLE/DONE: imaplib 3.11 has no idle()).
const PY_CLIENT = String.raw`
import imaplib, json, sys
host = '127.0.0.1'
proxy_port, dovecot_port, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
msg = b'From: a@localhost\r\nSubject: script test\r\n\r\nhello\r\n'
out = {}
A = imaplib.IMAP4(host, proxy_port)
A.login(user, password)
typ, data = A.select('INBOX')
out['select'] = data[0].decode()
A.response('EXISTS')  # select() leaves its EXISTS among the untagged responses
B = imaplib.IMAP4(host, dovecot_port)
B.login(user, password)

def noop_exists():
    A.noop()
    typ, data = A.response('EXISTS')
    return [d.decode() for d in data if d is not None]

B.append('INBOX', None, None, msg)
out['noop1'] = noop_exists()
B.append('INBOX', None, None, msg)
out['noop2'] = noop_exists()
lines = []
for i in range(2):
    tag = A._new_tag()
    A.send(tag + b' IDLE\r\n')
    while True:
        line = A.readline()
        lines.append(line.decode().rstrip())
        if line.startswith(b'+'):
            break
    A.send(b'DONE\r\n')
    while True:
        line = A.readline()
        lines.append(line.decode().rstrip())
        if line.startswith(tag):
            break
A.noop()
typ, data = A.response('OK')
out['idle_lines'] = lines
out['ok_after'] = [d.decode() for d in data if d is not None]
A.logout()
B.logout()
print(json.dumps(out))
`;

interface ClientRun {
  select: string;
  noop1: string[];
  noop2: string[];
  idle_lines: string[];
  ok_after: string[];
}

let dovecot: DovecotInstance;
before(async () => { dovecot = await startDovecot({ users: { alice: 'secret', bob: 'hunter2', carol: 'pw3' } }); });
after(async () => { await dovecot?.stop(); });

async function client(port: number, user: string): Promise<ClientRun> {
  const py = await runPython(PY_CLIENT, [String(port), String(dovecot.port), user, dovecot.users[user]], { timeoutMs: 60_000 });
  assert.equal(py.code, 0, py.stderr);
  return JSON.parse(py.stdout.trim().split('\n').pop() ?? '{}') as ClientRun;
}

test('count-idle-drop-second-exists.js: imaplib misses every second EXISTS, hears the IDLE count, Dovecot is untouched', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--script', path.join(EXAMPLES, 'count-idle-drop-second-exists.js')]);
  let run: ClientRun;
  try {
    run = await client(proxy.port, 'alice');
  } finally {
    await proxy.stop();
  }
  assert.match(proxy.stderr(), /script .*count-idle-drop-second-exists\.js: onFrame, onIdlePhase/);
  // The session's EXISTS: SELECT's (1st, kept), NOOP 1's (2nd, dropped), NOOP 2's (3rd, kept).
  assert.equal(run.select, '0');
  assert.deepEqual(run.noop1, [], 'the second EXISTS was dropped');
  assert.deepEqual(run.noop2, ['2']);
  // The proxy saw what Dovecot sent, the dropped EXISTS included.
  assert.match(proxy.stdout(), /S: \* 1 EXISTS/);
  assert.ok(run.idle_lines.includes('* OK imapdbg script: 1 IDLE periods so far'), run.idle_lines.join('\n'));
  assert.deepEqual(run.ok_after, ['imapdbg script: 2 IDLE periods so far']);
});

test('throws.js: every byte still delivered, the proxy keeps serving new sessions', async () => {
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--script', path.join(EXAMPLES, 'throws.js')]);
  let first: ClientRun;
  let second: ClientRun;
  try {
    first = await client(proxy.port, 'bob');
    second = await client(proxy.port, 'carol');
  } finally {
    assert.equal(await proxy.stop(), 0);
  }
  for (const run of [first, second]) {
    assert.equal(run.select, '0');
    assert.deepEqual(run.noop1, ['1']);
    assert.deepEqual(run.noop2, ['2']);
    assert.deepEqual(run.ok_after, []);
    assert.equal(run.idle_lines.filter((l) => l.startsWith('+')).length, 2);
  }
  assert.doesNotMatch(proxy.stderr(), /\n\s+at /, 'no stack trace');
});

test('a script that does not load: one line, exit 2, nothing listens', async () => {
  await assert.rejects(startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--script', path.join(EXAMPLES, 'no-such-script.js')]),
    (err: Error) => {
      assert.match(err.message, /imapdbg exited with 2: imapdbg: script .*no-such-script\.js: no such file\n$/);
      return true;
    });
});
