// Real clients and the proxy chain for the phases end-to-end tests (issue 4).
import * as net from 'node:net';
import type { DovecotInstance } from '../harness/dovecot';
import { startImapdbgProxy, type ImapdbgProcess } from '../harness/imapdbg-process';
import { readUntil } from '../harness/lines';
import { startRecordingTap, type RecordingTap } from '../harness/recording-tap';
import { PY_COMPRESSING_IMAP4 } from '../harness/python-compress-client';

/** client -> tapC -> imapdbg proxy (the real CLI) -> tapS -> Dovecot; taps record what each peer saw. */
export interface Chain {
  tapC: RecordingTap;
  tapS: RecordingTap;
  proxy: ImapdbgProcess;
  close(): Promise<void>;
}

export async function startChain(dovecot: DovecotInstance, capture: string, extra: string[] = []): Promise<Chain> {
  const tapS = await startRecordingTap(dovecot.port);
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${tapS.port}`, '--headless', '--utc', '--record', capture, ...extra]);
  const tapC = await startRecordingTap(proxy.port);
  return {
    tapC, tapS, proxy,
    close: async () => {
      await proxy.stop();
      await tapC.close();
      await tapS.close();
    },
  };
}

/** A raw IMAP connection: write lines, read lines until a predicate. */
export async function rawConnect(port: number): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  return sock;
}

/** Write `line` (CRLF added) and read up to the tagged response of `tag`, which must be OK. */
export async function command(sock: net.Socket, tag: string, line: string): Promise<string[]> {
  sock.write(`${tag} ${line}\r\n`);
  const lines = await readUntil(sock, (l) => l.startsWith(`${tag} `));
  const last = lines[lines.length - 1];
  if (!last.startsWith(`${tag} OK`)) throw new Error(`${tag} ${line}: ${last}`);
  return lines;
}

/**
 * python3 imaplib with COMPRESS=DEFLATE (RFC 4978) added the way a client library would: after
 * the tagged OK to `COMPRESS DEFLATE` (sent with imaplib's `_simple_command`) every write goes
 * through zlib.compressobj(wbits=-15) with a sync flush, every read through decompressobj(-15).
 * Prints the fetched body's size and digest, and digests of the raw (wire) and plain bytes both ways.
 * argv: host port user password
 */
export const PY_COMPRESS_CLIENT = String.raw`
import imaplib, zlib, sys, hashlib, json
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
${PY_COMPRESSING_IMAP4}

m = CompressingIMAP4(host, port)
m.login(user, pw)
typ, dat = m.compress(); assert typ == 'OK', dat
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
typ, dat = m.fetch('1', '(BODY.PEEK[])'); assert typ == 'OK', dat
body = dat[0][1]
print('FETCHED', len(body), hashlib.sha256(body).hexdigest())
typ, dat = m.noop(); assert typ == 'OK', dat
m.logout()
# imaplib stops reading at "* BYE", so LOGOUT's tagged OK stays decompressed but unread: count it as received.
m.plain_in += m.zbuf
h = lambda b: hashlib.sha256(bytes(b)).hexdigest()
print('BYTES', json.dumps({'raw_out': h(m.raw_out), 'raw_in': h(m.raw_in), 'plain_out': h(m.plain_out), 'plain_in': h(m.plain_in)}))
`;

/** python3 imaplib's own AUTHENTICATE PLAIN (an empty "+" challenge, then the base64 response). argv: host port user password */
export const PY_AUTH_PLAIN = String.raw`
import imaplib, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
typ, dat = m.authenticate('PLAIN', lambda challenge: ('\0%s\0%s' % (user, pw)).encode())
assert typ == 'OK', dat
typ, dat = m.select('INBOX'); assert typ == 'OK', dat
m.logout()
print('AUTH', typ)
`;
