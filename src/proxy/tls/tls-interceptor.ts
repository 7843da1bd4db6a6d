/**
 * TLS interception for the proxy: which leg speaks TLS when, the order of the two handshakes, and
 * what the capture learns about them. The server leg always goes first, so that the leaf shown
 * to the client carries the upstream certificate's names and a rejected upstream certificate can
 * still be told to the client, over TLS, as an IMAP `* BYE`.
 */
import { connect, type Socket } from 'node:net';
import type { EventSink, TlsInfo } from '../../imap/events';
import type { Finding } from '../../imap/frame';
import { startTlsFinding, type StartTlsCode } from '../../imap/lint/starttls-lint';
import { formatHostPort, type HostPort } from '../address';
import { nowUs } from '../clock';
import type { ProxySession, SessionLayer } from '../proxy-session';
import { acceptClientTls, type ClientTlsResult } from './client-tls';
import type { KeyLog } from './keylog';
import type { LeafFactory } from './leaf-factory';
import { ClientStartTlsLayer } from './starttls-layer';
import { UpstreamStartTlsLayer } from './upstream-starttls';
import { connectUpstreamTls, type UpstreamTlsResult, type UpstreamTrust } from './upstream-tls';

/** How the client talks to imapdbg: plain (STARTTLS intercepted) or implicit TLS (`--tls`). */
export type ClientLegMode = 'plain' | 'tls';
/** How imapdbg talks to the server: plain, implicit TLS (`--upstream-tls`) or its own STARTTLS (`--upstream-starttls`). */
export type UpstreamLegMode = 'plain' | 'tls' | 'starttls';

export interface TlsInterceptionOptions {
  clientLeg: ClientLegMode;
  upstreamLeg: UpstreamLegMode;
  upstream: HostPort;
  trust: UpstreamTrust;
  /** The leaf factory; created (with the CA) on first use so a plain session never touches the CA. */
  leaves: () => Promise<LeafFactory>;
  sink: EventSink;
  keylog?: KeyLog;
  /** Names a client may use for imapdbg itself (its listen host), added to every leaf. */
  proxyNames: string[];
}

/** The plain sockets of an upgrade, with what the handshakes produced. */
export interface Upgrade {
  server?: UpstreamTlsResult;
  /** Why the server leg has no usable TLS (handshake failed, or certificate rejected). */
  serverProblem?: { code: StartTlsCode; message: string };
  client?: ClientTlsResult;
}

/** Remove the session's listeners from a plain socket before TLS takes its handle over. */
export function detachSession(socket: Socket): void {
  for (const event of ['data', 'end', 'error', 'close']) socket.removeAllListeners(event);
}

/** Wires TLS into ProxyServer: `startSession` for implicit TLS, `layers` for STARTTLS. */
export class TlsInterception {
  constructor(readonly options: TlsInterceptionOptions) {}

  /** For ProxyServer.startSession; undefined when both legs start plain (the plain connect does). */
  get startSession(): ((session: ProxySession) => void) | undefined {
    const o = this.options;
    if (o.clientLeg === 'plain' && o.upstreamLeg === 'plain') return undefined;
    return (session) => void this.start(session);
  }

  /** Fresh layers for one session (ProxyServer.sessionOptions). */
  layers(): SessionLayer[] {
    const o = this.options;
    if (o.upstreamLeg === 'starttls') return [new UpstreamStartTlsLayer(this)];
    // Intercept the client's STARTTLS only where both legs are still plain; otherwise the bytes
    // pass through and the server answers (a server already in TLS refuses a second STARTTLS).
    if (o.clientLeg === 'plain' && o.upstreamLeg === 'plain') return [new ClientStartTlsLayer(this)];
    return [];
  }

  /** Report a finding that belongs to the session. */
  finding(session: ProxySession, code: StartTlsCode, message: string): Finding {
    const f = startTlsFinding(code, message);
    this.options.sink.handle({ type: 'finding', session: session.id, timeUs: nowUs(), finding: f });
    return f;
  }

  /** Report a completed handshake. */
  tlsEvent(session: ProxySession, info: TlsInfo): void {
    this.options.sink.handle({ type: 'tls', session: session.id, timeUs: nowUs(), tls: info });
  }

  /** Server leg TLS on `socket` (STARTTLS) or a new connection (implicit); the verdict is kept, not thrown. */
  async upgradeServer(session: ProxySession, socket: Socket | undefined, up: Upgrade): Promise<void> {
    const { upstream, trust, keylog } = this.options;
    try {
      up.server = await connectUpstreamTls({ ...upstream, socket }, trust, keylog);
      this.tlsEvent(session, up.server.info);
      if (up.server.rejected !== undefined) {
        up.serverProblem = { code: 'upstream-certificate-rejected',
          message: `upstream certificate rejected: ${up.server.rejected}; trust it with --upstream-ca FILE or skip the check with --insecure-upstream` };
      }
    } catch (err) {
      up.serverProblem = { code: 'upstream-tls-failed',
        message: `no TLS with ${formatHostPort(upstream.host, upstream.port)}: ${(err as Error).message}` };
    }
  }

  /**
   * Client leg TLS on its plain socket. Its leaf names: the upstream host and certificate names,
   * and imapdbg's own address. Returns false (after closing the session) when the client gave up.
   */
  async upgradeClient(session: ProxySession, raw: Socket, up: Upgrade): Promise<boolean> {
    const o = this.options;
    try {
      const leaves = await o.leaves();
      detachSession(raw);
      up.client = await acceptClientTls(raw, leaves,
        { upstreamHost: o.upstream.host, upstreamSans: up.server?.sans ?? [], extraNames: o.proxyNames }, o.keylog);
      this.tlsEvent(session, up.client.info);
      session.replaceSocket('client', up.client.socket);
      return true;
    } catch (err) {
      raw.destroy();
      up.server?.socket.destroy();
      session.upstreamFailed(`client TLS handshake failed: ${(err as Error).message} (does the client trust the imapdbg CA? see "imapdbg ca show")`,
        startTlsFinding('client-tls-failed', ''), 'client');
      return false;
    }
  }

  /** Close the session over the (TLS) client leg because the server leg cannot be used. */
  failServer(session: ProxySession, up: Upgrade): void {
    const problem = up.serverProblem ?? { code: 'upstream-tls-failed' as const, message: 'no TLS with the server' };
    up.server?.socket.destroy();
    session.socket('server')?.destroy();
    session.upstreamFailed(problem.message, startTlsFinding(problem.code, ''));
  }

  /** Implicit TLS on either leg (and the start of `--upstream-starttls`): connect, then handshakes. */
  private async start(session: ProxySession): Promise<void> {
    const o = this.options;
    const client = session.socket('client');
    if (!client) return;
    const up: Upgrade = {};
    let server: Socket | undefined;
    let connectError: string | undefined;
    if (o.upstreamLeg === 'tls') {
      await this.upgradeServer(session, undefined, up);
      server = up.server?.socket;
    } else {
      try {
        server = await plainConnect(o.upstream);
      } catch (err) {
        connectError = `cannot connect to ${formatHostPort(o.upstream.host, o.upstream.port)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    }
    // The client left while imapdbg was connecting: the session has already closed itself.
    if (client.destroyed) { server?.destroy(); return; }
    if (o.clientLeg === 'tls' && !(await this.upgradeClient(session, client, up))) return;
    // A failed plain connect is told as in a session without TLS.
    if (connectError !== undefined) { session.upstreamFailed(connectError); return; }
    if (up.serverProblem || !server) { this.failServer(session, up); return; }
    // --upstream-starttls: the client waits until imapdbg's own STARTTLS after the greeting is done.
    if (o.upstreamLeg === 'starttls') session.pause('client', UpstreamStartTlsLayer.PAUSE);
    session.upstreamConnected(server);
  }
}

/** A plain TCP connection to the server, half-open capable like the proxy's own. */
function plainConnect(upstream: HostPort): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
    socket.once('error', reject);
    socket.once('connect', () => { socket.off('error', reject); resolve(socket); });
  });
}
