// The python imaplib clients behind the STARTTLS and COMPRESS fixtures (record-fixtures.ts).
import { PY_COMPRESSING_IMAP4 } from '../harness/python-compress-client';

/**
 * python imaplib: starttls() with the imapdbg CA as the only trust anchor, then LOGIN, SELECT, a
 * small FETCH and LOGOUT. argv: host port user password cafile
 */
export const PY_STARTTLS_FIXTURE = String.raw`
import imaplib, ssl, sys
host, port, user, pw, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
m = imaplib.IMAP4(host, port)
typ, dat = m.starttls(ssl_context=ssl.create_default_context(cafile=cafile)); assert typ == 'OK', dat
typ, dat = m.login(user, pw); assert typ == 'OK', dat
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
typ, dat = m.fetch('1', '(FLAGS BODY.PEEK[])'); assert typ == 'OK', dat
print('FETCHED', len(dat[0][1]))
typ, dat = m.logout(); assert typ == 'BYE', dat
`;

/**
 * python imaplib with COMPRESS=DEFLATE added the way a client library would (zlib raw DEFLATE,
 * a sync flush per write), and IDLE by hand: LOGIN, COMPRESS DEFLATE, SELECT, FETCH, IDLE; once
 * the server's "+" is in, a second, plain connection straight to the server APPENDs a message, the
 * idling client waits for the EXISTS it causes, sends DONE, then LOGOUT.
 * argv: host port user password server-port base64(message)
 */
export const PY_COMPRESS_FIXTURE = String.raw`
import imaplib, zlib, sys, base64
host, port, user, pw, sport, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), base64.b64decode(sys.argv[6])
${PY_COMPRESSING_IMAP4}

m = CompressingIMAP4(host, port)
typ, dat = m.login(user, pw); assert typ == 'OK', dat
typ, dat = m.compress(); assert typ == 'OK', dat
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
typ, dat = m.fetch('1:*', '(FLAGS RFC822.SIZE ENVELOPE)'); assert typ == 'OK', dat
tag = m._new_tag()
m.send(tag + b' IDLE\r\n')
line = m.readline(); assert line.startswith(b'+'), line
other = imaplib.IMAP4(host, sport)
other.login(user, pw)
typ, dat = other.append('INBOX', None, None, msg); assert typ == 'OK', dat
other.logout()
while True:
    line = m.readline()
    if line.endswith(b' EXISTS\r\n'):
        print('UPDATE', line.decode().strip())
        break
m.send(b'DONE\r\n')
typ, dat = m._command_complete('IDLE', tag); assert typ == 'OK', dat
typ, dat = m.logout(); assert typ == 'BYE', dat
`;
