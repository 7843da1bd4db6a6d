// A DEFLATE bomb over COMPRESS=DEFLATE (RFC 4978) for the amplification tests and the bomb
// measurement: a python client (zlib) that sends it, and a fake IMAP server that accepts COMPRESS
// and keeps a digest of the compressed bytes it receives (it never inflates them).
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * python3 -c PY_BOMB_CLIENT HOST PORT MIB: read the greeting, `a1 COMPRESS DEFLATE`, then MIB MiB of
 * zeros deflated at level 9 (1 MiB -> ~1 KB on the wire) and a compressed `a2 NOOP`, one stream with
 * a sync flush; prints `SENT <wire bytes> <sha256 of them>` and closes.
 */
export const PY_BOMB_CLIENT = String.raw`
import hashlib, socket, sys, zlib
host, port, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
f = s.makefile('rb')
f.readline()
s.sendall(b'a1 COMPRESS DEFLATE\r\n')
if not f.readline().startswith(b'a1 OK'):
    sys.exit('COMPRESS refused')
z = zlib.compressobj(9, zlib.DEFLATED, -15)
h = hashlib.sha256()
n = 0
def send(data):
    global n
    h.update(data); n += len(data); s.sendall(data)
block = bytes(1 << 20)
for i in range(mib):
    out = z.compress(block)
    if out:
        send(out)
send(z.compress(b'\r\na2 NOOP\r\n') + z.flush(zlib.Z_SYNC_FLUSH))
print('SENT', n, h.hexdigest(), flush=True)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
s.close()
`;

/** What the fake server saw on one connection after COMPRESS. */
export interface CompressedReceipt {
  bytes: number;
  sha256: string;
}

export interface FakeCompressServer {
  server: Server;
  port: number;
  /** Resolves when the next connection that switched to COMPRESS has ended. */
  nextCompressedEnd(): Promise<CompressedReceipt>;
  /** Resolves when some connection sent `COMPRESS DEFLATE` (its bomb follows). */
  compressStarted: Promise<void>;
  close(): Promise<void>;
}

/**
 * An IMAP server on 127.0.0.1 that advertises COMPRESS=DEFLATE, answers NOOP, LOGOUT and
 * COMPRESS DEFLATE, and after COMPRESS only counts and digests what arrives.
 */
export async function startFakeCompressServer(): Promise<FakeCompressServer> {
  const ended: CompressedReceipt[] = [];
  const waiters: Array<(r: CompressedReceipt) => void> = [];
  let started!: () => void;
  const compressStarted = new Promise<void>((r) => { started = r; });
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write('* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] fake\r\n');
    let compressed: { hash: ReturnType<typeof createHash>; bytes: number } | undefined;
    let pending = '';
    s.on('data', (d: Buffer) => {
      if (compressed) {
        compressed.hash.update(d);
        compressed.bytes += d.length;
        return;
      }
      pending += d.toString('latin1');
      let eol: number;
      while (!compressed && (eol = pending.indexOf('\r\n')) !== -1) {
        const [tag, verb] = pending.slice(0, eol).split(' ');
        pending = pending.slice(eol + 2);
        const v = (verb ?? '').toUpperCase();
        if (v === 'COMPRESS') {
          s.write(`${tag} OK DEFLATE active\r\n`);
          compressed = { hash: createHash('sha256'), bytes: 0 };
          const rest = Buffer.from(pending, 'latin1');
          compressed.hash.update(rest);
          compressed.bytes += rest.length;
          started();
        } else if (v === 'LOGOUT') {
          s.end(`* BYE fake\r\n${tag} OK LOGOUT done\r\n`);
        } else {
          s.write(`${tag} OK ${v} done\r\n`);
        }
      }
    });
    s.on('end', () => {
      if (compressed) {
        const r = { bytes: compressed.bytes, sha256: compressed.hash.digest('hex') };
        const w = waiters.shift();
        if (w) w(r);
        else ended.push(r);
      }
      s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    compressStarted,
    nextCompressedEnd: () => new Promise((resolve) => { const r = ended.shift(); if (r) resolve(r); else waiters.push(resolve); }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
