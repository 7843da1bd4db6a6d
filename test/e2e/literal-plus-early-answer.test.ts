// Issue 9 item 13 end to end: Dovecot answers `APPEND nosuchbox {N+}` with NO [TRYCREATE] before
// the LITERAL+ body arrives. The capture must pair that NO with the APPEND (lint: no unknown-tag,
// exit 0; stats: the APPEND answered), and the headless view must show the APPEND before its NO.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg } from '../harness/imapdbg-process';
import { runPython } from '../harness/python';
import { startChain } from './phases-clients';

let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: 'Lit-Plus-9' } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-litplus-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw-socket client: sends the APPEND's first line, waits for the server's answer, only then the body. */
const PY_EARLY_ANSWER = String.raw`
import socket, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port))
f = s.makefile('rb')
def until(tag):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit('connection closed before ' + tag)
        if line.startswith(tag.encode() + b' '):
            return line.decode('latin1').rstrip('\r\n')
greeting = f.readline()
s.sendall(('a1 LOGIN %s %s\r\n' % (user, pw)).encode())
assert until('a1').startswith('a1 OK')
body = b'From: a@example.org\r\nSubject: early answer\r\n\r\nThe server answers before this body arrives.\r\n'
s.sendall(b'a2 APPEND nosuchbox {%d+}\r\n' % len(body))
answer = until('a2')
print('ANSWER', answer)
s.sendall(body + b'\r\n')
s.sendall(b'a3 NOOP\r\n')
print('NOOP', until('a3'))
s.sendall(b'a4 LOGOUT\r\n')
until('a4')
print('DONE')
`;

test('Dovecot answers APPEND {N+} before its body: lint exits 0 without unknown-tag, stats pair it, headless shows it first', async () => {
  const capture = path.join(dir, 'early-answer.imapcap');
  const chain = await startChain(dovecot, capture);
  let headless = '';
  try {
    const py = await runPython(PY_EARLY_ANSWER, ['127.0.0.1', String(chain.tapC.port), 'alice', 'Lit-Plus-9']);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /ANSWER a2 NO \[TRYCREATE\]/, 'Dovecot answered before the body');
    assert.match(py.stdout, /NOOP a3 OK/, 'Dovecot read the body after its answer');
  } finally {
    await chain.close();
    headless = chain.proxy.stdout();
  }
  const lint = await runImapdbg(['lint', capture]);
  assert.doesNotMatch(lint.stdout.toString(), /unknown-tag/);
  assert.equal(lint.code, 0, lint.stdout.toString());

  const stats = JSON.parse((await runImapdbg(['stats', capture, '--json'])).stdout.toString()) as Array<{ commands: Array<{ command: string; count: number; unanswered: number; latency: { count: number } }> }>;
  const append = stats[0].commands.find((c) => c.command === 'APPEND');
  assert.deepEqual(append && { count: append.count, unanswered: append.unanswered, answered: append.latency.count }, { count: 1, unanswered: 0, answered: 1 });

  const lines = headless.split('\n');
  const command = lines.findIndex((l) => /C: a2 APPEND nosuchbox \{\d+\+\}/.test(l));
  const answer = lines.findIndex((l) => /S: a2 NO \[TRYCREATE\]/.test(l));
  assert.ok(command !== -1 && answer !== -1, headless);
  assert.ok(command < answer, `the APPEND (line ${command}) is shown before its answer (line ${answer})`);
});
