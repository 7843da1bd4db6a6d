/**
 * The TCP connection a SOCKS CONNECT asks for, and its outcome in RFC 1928 6 terms, so that the
 * client shows the real error (connection refused, host unreachable...) instead of a generic one.
 */
import { connect, type Socket } from 'node:net';
import { errorLine } from '../error-line';
import { resolveHost, type HostResolver } from './host-resolver';
import { Reply, type ReplyCode } from './socks-protocol';

export type DialOutcome =
  | { ok: true; socket: Socket; address: string }
  | { ok: false; reply: ReplyCode; message: string };

/** RFC 1928 6 code for a resolver or connect error code. */
export function replyForError(code: string | undefined): ReplyCode {
  switch (code) {
    case 'ECONNREFUSED': return Reply.connectionRefused;
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_NONAME': case 'EAI_NODATA': case 'ENODATA': case 'EHOSTUNREACH': case 'EHOSTDOWN':
      return Reply.hostUnreachable;
    case 'ENETUNREACH': case 'ENETDOWN': return Reply.networkUnreachable;
    case 'ETIMEDOUT': return Reply.ttlExpired;
    case 'EACCES': case 'EPERM': return Reply.notAllowed;
    default: return Reply.generalFailure;
  }
}

/**
 * Resolve and connect within `timeoutMs` (both together); a connect that takes longer is TTL
 * expired, which clients show as a timeout. `onSocket` gets the socket as soon as it exists so
 * that a client that leaves meanwhile can release it.
 */
export async function dialUpstream(host: string, port: number, resolver: HostResolver, timeoutMs: number,
  onSocket: (socket: Socket) => void = () => undefined): Promise<DialOutcome> {
  const deadline = Date.now() + timeoutMs;
  let address: string;
  try {
    address = await withTimeout(resolveHost(host, resolver).then((r) => r.address), timeoutMs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reply: replyForError(code), message: `cannot resolve ${host}: ${code ?? errorLine(err)}` };
  }
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, allowHalfOpen: true });
    onSocket(socket);
    const left = Math.max(1, deadline - Date.now());
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), left);
    const where = address === host ? `${host}:${port}` : `${host}:${port} (${address})`;
    const fail = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.off('close', onClose);
      resolve({ ok: false, reply: replyForError(err.code), message: `cannot connect to ${where}: ${err.code ?? errorLine(err)}` });
    };
    const onClose = (): void => fail(new Error('the connection closed before it was established'));
    socket.once('error', fail).once('close', onClose);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail).off('close', onClose);
      resolve({ ok: true, socket, address });
    });
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms / 1000} s`), { code: 'ETIMEDOUT' })), ms);
    work.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e); });
  });
}
