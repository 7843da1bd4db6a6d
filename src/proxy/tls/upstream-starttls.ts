/**
 * `--upstream-starttls`: imapdbg upgrades the server leg by itself right after the greeting, for
 * clients that speak plain text only. The client sees the greeting as the server sent it (and is
 * held until the upgrade is done); imapdbg's own `STARTTLS` and the server's answer are not
 * forwarded to the client and not framed, so tags, offsets and pairing stay those of the client's
 * conversation. The exchange is recorded as an info finding and a `tls` event instead.
 */
import type { Socket } from 'node:net';
import type { Direction, Frame } from '../../imap/frame';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../proxy-server';
import type { LayerDecision, SessionLayer } from '../session-layer';

/** imapdbg's own tag: never forwarded, so it cannot collide with the client's tags on the wire it sees. */
export const PROXY_TAG = 'imapdbg1';
/** The most a server may send before its tagged answer to imapdbg's STARTTLS (a few untagged lines are normal). */
export const STARTTLS_ANSWER_MAX_BYTES = 64 * 1024;

/** The server's answer to imapdbg's STARTTLS. */
export interface StartTlsAnswer {
  /** Every line up to and including the tagged one, CRLF removed. */
  lines: string[];
  ok: boolean;
  /** Bytes after the tagged line's CRLF (a response injection when non-empty). */
  after: Buffer;
}

/**
 * Send `imapdbg1 STARTTLS` on a plain socket (no other listeners) and read up to the tagged answer.
 * `pending` holds bytes already read after the greeting.
 */
export function sendStartTls(socket: Socket, pending: Buffer, timeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS): Promise<StartTlsAnswer> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) { reject(new Error('the server connection is already closed')); return; }
    let buffer = Buffer.from(pending);
    let read = buffer.length;
    const lines: string[] = [];
    const timer = setTimeout(() => finish(new Error(`no answer to STARTTLS within ${timeoutMs / 1000} s`)), timeoutMs);
    const finish = (err: Error | undefined, answer?: StartTlsAnswer): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('end', onEnd).off('close', onEnd);
      socket.pause();
      if (err) reject(err);
      else if (answer) resolve(answer);
    };
    const scan = (): void => {
      let lf: number;
      while ((lf = buffer.indexOf(0x0a)) !== -1) {
        const line = buffer.subarray(0, lf).toString('latin1').replace(/\r$/, '');
        buffer = buffer.subarray(lf + 1);
        lines.push(line);
        if (line.startsWith(`${PROXY_TAG} `)) {
          finish(undefined, { lines, ok: /^\S+ OK\b/i.test(line), after: buffer });
          return;
        }
      }
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > STARTTLS_ANSWER_MAX_BYTES) {
        finish(new Error(`the server sent more than ${STARTTLS_ANSWER_MAX_BYTES} bytes without answering STARTTLS`));
        return;
      }
      buffer = Buffer.concat([buffer, chunk]);
      scan();
    };
    const onError = (err: Error): void => finish(err);
    const onEnd = (): void => finish(new Error('the server closed the connection instead of answering STARTTLS'));
    socket.on('data', onData).on('error', onError).on('end', onEnd).on('close', onEnd);
    socket.write(`${PROXY_TAG} STARTTLS\r\n`);
    scan();
    socket.resume();
  });
}

/** The client's pause reason until the server leg is TLS (set by the interceptor at connect). */
export const UPSTREAM_STARTTLS_PAUSE = 'upstream-starttls';

/** One per session: the boundary is the server's greeting. */
export class UpstreamStartTlsLayer implements SessionLayer {
  private done = false;

  isBoundary(frame: Frame): boolean {
    return !this.done && frame.direction === 'server' && frame.kind === 'greeting';
  }

  atBoundary(frame: Frame, _direction: Direction, rest: Buffer): LayerDecision {
    this.done = true;
    if (frame.verb === 'PREAUTH') {
      // RFC 3501 6.2.1: STARTTLS is valid only in the not authenticated state. Going on in clear
      // text would defeat the point of --upstream-starttls (the PREAUTH downgrade).
      return { consumed: true, commands: [{ kind: 'fail',
        message: 'the server greeted with PREAUTH, so STARTTLS is impossible; imapdbg will not continue in clear text',
        code: 'preauth-instead-of-starttls' }] };
    }
    // `* BYE`: the server is leaving anyway; let the client see it as it is.
    if (frame.verb !== 'OK') return { consumed: false, commands: [{ kind: 'resume', direction: 'client', reason: UPSTREAM_STARTTLS_PAUSE }] };
    return { consumed: true, commands: [{ kind: 'upstream-starttls', serverRest: Buffer.from(rest) }] };
  }
}
