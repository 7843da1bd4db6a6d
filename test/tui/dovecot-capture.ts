// Records a real capture for the TUI tests: the proxy in-process with a CaptureWriter, in front of
// a throw-away Dovecot, driven by python's imaplib (LOGIN, SELECT, APPEND, FETCH of a large
// message, IDLE that sees the EXISTS of an APPEND made on a second connection, LOGOUT).
import { CaptureWriter } from '../../src/capture/capture-writer';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import { EventBus } from '../../src/imap/events';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { startDovecot } from '../harness/dovecot';
import { runPython } from '../harness/python';

/** Size of the message fetched back, so its literal is large. */
export const BIG_MESSAGE = 300_000;

const SCRIPT = `
import imaplib, sys
host, port, user, pw, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
def message(subject, n):
    head = 'From: tui@localhost\\r\\nTo: alice@localhost\\r\\nSubject: %s\\r\\n\\r\\n' % subject
    line = 'the quick brown fox jumps over the lazy dog 0123456789\\r\\n'
    body = (line * (n // len(line) + 1))[: max(0, n - len(head))]
    return (head + body).encode()
M = imaplib.IMAP4(host, port)
M.login(user, pw)
M.select('INBOX')
M.append('INBOX', None, None, message('big one', size))
typ, data = M.search(None, 'SUBJECT', '"big one"')
num = data[0].split()[-1]
M.fetch(num, '(BODY.PEEK[])')
tag = M._new_tag().decode()
M.send(('%s IDLE\\r\\n' % tag).encode())
assert M.readline().startswith(b'+')
M2 = imaplib.IMAP4(host, port)
M2.login(user, pw)
M2.append('INBOX', None, None, message('during idle', 500))
M2.logout()
while b'EXISTS' not in M.readline():
    pass
M.send(b'DONE\\r\\n')
while not M.readline().startswith(tag.encode()):
    pass
M.logout()
print('ok')
`;

/** Write the capture to `path`. */
export async function recordDovecotCapture(path: string): Promise<void> {
  const dc = await startDovecot();
  const writer = new CaptureWriter(path, 'imapdbg test', Date.now() * 1000);
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: dc.host, port: dc.port },
    sink: new EventBus().add(writer), flow: writer, annotators: defaultAnnotators });
  try {
    const bound = await proxy.listen();
    const r = await runPython(SCRIPT, [bound.host, String(bound.port), 'alice', dc.users.alice, String(BIG_MESSAGE)], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`python client failed: ${r.stderr}`);
  } finally {
    await proxy.close();
    await writer.close();
    await dc.stop();
  }
}
