// One python IMAP client with COMPRESS=DEFLATE (RFC 4978), for the end-to-end tests and the fixture
// recorder: imaplib plus zlib, keeping the raw (wire) and plain bytes it sent and received.

/**
 * Python source defining `CompressingIMAP4`, an `imaplib.IMAP4` whose `compress()` sends
 * `COMPRESS DEFLATE` and then speaks raw DEFLATE both ways; `raw_in/raw_out` hold the wire bytes,
 * `plain_in/plain_out` the bytes before compression. Needs `imaplib` and `zlib` imported first.
 */
export const PY_COMPRESSING_IMAP4 = String.raw`
imaplib.Commands.setdefault('COMPRESS', ('AUTH', 'SELECTED'))

class CompressingIMAP4(imaplib.IMAP4):
    def _create_socket(self, timeout=None):
        self.raw_out = bytearray(); self.raw_in = bytearray()
        self.plain_out = bytearray(); self.plain_in = bytearray()
        self.z = None
        return super()._create_socket(timeout)
    def send(self, data):
        self.plain_out += data
        if self.z:
            data = self.z[0].compress(data) + self.z[0].flush(zlib.Z_SYNC_FLUSH)
        self.raw_out += data
        self.sock.sendall(data)
    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise self.abort('socket closed')
        self.raw_in += chunk
        self.zbuf += self.z[1].decompress(chunk)
    def read(self, size):
        if not self.z:
            data = super().read(size); self.raw_in += data; self.plain_in += data; return data
        while len(self.zbuf) < size:
            self._fill()
        data = bytes(self.zbuf[:size]); del self.zbuf[:size]; self.plain_in += data; return data
    def readline(self):
        if not self.z:
            data = super().readline(); self.raw_in += data; self.plain_in += data; return data
        while b'\n' not in self.zbuf:
            self._fill()
        i = self.zbuf.index(b'\n') + 1
        data = bytes(self.zbuf[:i]); del self.zbuf[:i]; self.plain_in += data; return data
    def compress(self):
        typ, dat = self._simple_command('COMPRESS', 'DEFLATE')
        if typ == 'OK':
            self.z = (zlib.compressobj(6, zlib.DEFLATED, -15), zlib.decompressobj(-15)); self.zbuf = bytearray()
        return typ, dat
`;
