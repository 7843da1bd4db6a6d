// The python imaplib clients behind the STARTTLS and COMPRESS fixtures (record-fixtures.ts).

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
imaplib.Commands.setdefault('COMPRESS', ('AUTH', 'SELECTED'))

class CompressingIMAP4(imaplib.IMAP4):
    z = None
    def send(self, data):
        if self.z:
            data = self.z[0].compress(data) + self.z[0].flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)
    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise self.abort('socket closed')
        self.zbuf += self.z[1].decompress(chunk)
    def read(self, size):
        if not self.z:
            return super().read(size)
        while len(self.zbuf) < size:
            self._fill()
        data = bytes(self.zbuf[:size]); del self.zbuf[:size]; return data
    def readline(self):
        if not self.z:
            return super().readline()
        while b'\n' not in self.zbuf:
            self._fill()
        i = self.zbuf.index(b'\n') + 1
        data = bytes(self.zbuf[:i]); del self.zbuf[:i]; return data
    def compress(self):
        typ, dat = self._simple_command('COMPRESS', 'DEFLATE')
        if typ == 'OK':
            self.z = (zlib.compressobj(6, zlib.DEFLATED, -15), zlib.decompressobj(-15)); self.zbuf = bytearray()
        return typ, dat

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
