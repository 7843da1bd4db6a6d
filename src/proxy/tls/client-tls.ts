/**
 * The client leg as a TLS server: implicit TLS (`--tls`, like port 993) or the client's side of an
 * intercepted STARTTLS (RFC 3501 6.2.1). The certificate is a leaf from the imapdbg CA named after
 * the client's SNI, the upstream host and the upstream certificate's names, so a client that
 * trusts the CA accepts it under any name it may have used.
 */
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import type { TlsInfo } from '../../imap/events';
import { errorLine } from '../error-line';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../proxy-server';
import type { LeafFactory, LeafMaterial, LeafNames } from './leaf-factory';
import { normalizeSni } from './leaf-factory';
import type { HandshakeSetup } from './upstream-tls';

/** ALPN id for IMAP (IANA TLS ALPN registry); offered only when the client asks for it. */
const ALPN_IMAP = 'imap';

const contexts = new WeakMap<LeafMaterial, tls.SecureContext>();

/** One SecureContext per leaf: the leaf factory hands out the same object for the same names. */
function contextFor(leaf: LeafMaterial): tls.SecureContext {
  let ctx = contexts.get(leaf);
  if (!ctx) {
    ctx = tls.createSecureContext({ key: leaf.keyPem, cert: leaf.chainPem });
    contexts.set(leaf, ctx);
  }
  return ctx;
}

/** What the client handshake produced. */
export interface ClientTlsResult {
  socket: tls.TLSSocket;
  info: TlsInfo;
  /** The names in the certificate the client accepted. */
  leafNames: string[];
}

/**
 * Run the TLS server handshake on the client's plain socket, which must be paused with no
 * listeners left from its previous owner. Bytes already buffered on it (an early ClientHello) are
 * fed to TLS. Rejects with the reason when the client gives up (e.g. it does not trust the CA,
 * speaks plain text, closes or says nothing), after which the TLS socket is destroyed.
 */
export async function acceptClientTls(raw: Socket, leaves: LeafFactory, names: Omit<LeafNames, 'sni'>, setup: HandshakeSetup = {}): Promise<ClientTlsResult> {
  const fallback = await leaves.getLeaf(names);
  // Its FIN may have been read while it waited (a paused socket still reads up to its buffer
  // limit, and emits 'end' when that is empty): TLS would never see it again.
  if (raw.destroyed || raw.readableEnded) throw new Error('the client closed the connection before the TLS handshake');
  let chosen = fallback;
  const socket = new tls.TLSSocket(raw, {
    isServer: true,
    secureContext: contextFor(fallback),
    ALPNProtocols: [ALPN_IMAP],
    // A client that sends a name the fallback lacks gets a leaf made for that name.
    SNICallback: (servername, cb) => {
      const sni = normalizeSni(servername);
      if (sni === undefined || fallback.names.includes(sni)) { cb(null, contextFor(fallback)); return; }
      leaves.getLeaf({ ...names, sni: servername }).then(
        (leaf) => { chosen = leaf; cb(null, contextFor(leaf)); },
        (err: Error) => cb(err, undefined),
      );
    },
  });
  setup.keylog?.attach(socket);
  moveIdleTimeout(raw, socket);
  return new Promise((resolve, reject) => {
    let reason: string | undefined;
    const bound = setup.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${bound / 1000} s`)), bound);
    // A server-side TLSSocket made by hand reports handshake errors as '_tlsError' (tls.Server
    // turns them into 'tlsClientError'); 'error' covers the rest, 'close' a client that just left.
    const onError = (err: Error): void => { reason ??= errorLine(err); };
    const onClose = (): void => {
      clearTimeout(timer);
      reject(new Error(reason ?? 'the client closed the connection during the TLS handshake'));
    };
    // The sockets are half-open capable, so a client's FIN alone closes nothing: a client that
    // half-closes before the handshake is done has given up.
    const onEnd = (): void => {
      reason ??= 'the client closed the connection during the TLS handshake';
      socket.destroy();
    };
    socket.on('_tlsError', onError);
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.once('end', onEnd);
    if (setup.adopt && !setup.adopt(socket)) {
      reason = 'the session ended before the TLS handshake';
      socket.destroy();
    }
    socket.once('secure', () => {
      clearTimeout(timer);
      socket.off('_tlsError', onError).off('error', onError).off('close', onClose).off('end', onEnd);
      // From here on errors are 'error' events for the session to handle.
      (socket as tls.TLSSocket & { _releaseControl?: () => void })._releaseControl?.();
      const cipher = socket.getCipher();
      const sni = typeof socket.servername === 'string' ? socket.servername : undefined;
      resolve({
        socket, leafNames: chosen.names,
        info: {
          leg: 'client', version: socket.getProtocol() ?? '?', cipher: cipher.standardName ?? cipher.name,
          ...(sni ? { sni } : {}),
          ...(socket.alpnProtocol ? { alpn: socket.alpnProtocol } : {}),
        },
      });
    });
  });
}

/**
 * The proxy's inactivity timeout was set on the plain socket, which sees no reads once TLS owns
 * its handle: carry it over to the TLS socket.
 */
function moveIdleTimeout(raw: Socket, socket: tls.TLSSocket): void {
  const ms = raw.timeout;
  if (!ms) return;
  raw.setTimeout(0);
  socket.setTimeout(ms, () => socket.destroy(new Error(`no traffic for ${Math.round(ms / 1000)} s`)));
}
