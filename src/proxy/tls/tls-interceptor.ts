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
import { errorLine } from '../error-line';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../proxy-server';
import { printable } from '../../imap/frame-text';
import type { ProxySession, TlsUpgrader } from '../proxy-session';
import type { SessionLayer } from '../session-layer';
import { acceptClientTls, type ClientTlsResult } from './client-tls';
import { preview } from './injected-preview';
import type { KeyLog } from './keylog';
import type { LeafFactory } from './leaf-factory';
import { ClientStartTlsLayer, STARTTLS_PAUSE } from './starttls-layer';
import { PROXY_TAG, sendStartTls, UPSTREAM_STARTTLS_PAUSE, UpstreamStartTlsLayer, type StartTlsAnswer } from './upstream-starttls';
import { connectUpstreamTls, type HandshakeSetup, type UpstreamTlsResult, type UpstreamTrust } from './upstream-tls';

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
  /** Bound on each setup step (upstream connect, either handshake, imapdbg's STARTTLS); default DEFAULT_HANDSHAKE_TIMEOUT_MS. */
  handshakeTimeoutMs?: number;
}

/** The plain sockets of an upgrade, with what the handshakes produced. */
interface Upgrade {
  server?: UpstreamTlsResult;
  /** Why the server leg has no usable TLS (handshake failed, or certificate rejected). */
  serverProblem?: { code: StartTlsCode; message: string };
  client?: ClientTlsResult;
  /** Stops watching the client for leaving (see `holdClient`) once its handshake starts. */
  stopWatchingClient?: () => void;
}

/** The first byte of a TLS handshake record (RFC 8446 5.1, ContentType handshake = 22). */
const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * Wires TLS into ProxyServer: `startSession` for implicit TLS, `layers` for STARTTLS (they decide
 * when), and the upgrades those layers ask for (this class carries them out).
 */
export class TlsInterception implements TlsUpgrader {
  constructor(readonly options: TlsInterceptionOptions) {}

  /** For ProxyServer.startSession; undefined when both legs start plain (the plain connect does). */
  get startSession(): ((session: ProxySession) => void) | undefined {
    const o = this.options;
    if (o.clientLeg === 'plain' && o.upstreamLeg === 'plain') return undefined;
    return (session) => this.start(session).catch((err: unknown) => abandon(session, err));
  }

  /** The bound on each setup step. */
  get handshakeTimeoutMs(): number {
    return this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  }

  /** Handshake options for a session: bounded, and every TLS socket owned by the session. */
  setup(session: ProxySession): HandshakeSetup {
    return { keylog: this.options.keylog, timeoutMs: this.handshakeTimeoutMs, adopt: (socket) => session.adopt(socket) };
  }

  /** Fresh layers for one session (ProxyServer.sessionOptions). */
  layers(): SessionLayer[] {
    const o = this.options;
    if (o.upstreamLeg === 'starttls') return [new UpstreamStartTlsLayer()];
    // Intercept the client's STARTTLS only where both legs are still plain; otherwise the bytes
    // pass through and the server answers (a server already in TLS refuses a second STARTTLS).
    if (o.clientLeg === 'plain' && o.upstreamLeg === 'plain') return [new ClientStartTlsLayer()];
    return [];
  }

  /** Load (or create) the CA while the server answers STARTTLS: the client's leaf needs it next. */
  prepare(): void {
    this.options.leaves().catch(() => undefined);
  }

  /** The server said OK to the client's STARTTLS (ClientStartTlsLayer): upgrade the server leg, then the client's. */
  afterStartTls(session: ProxySession, serverRest: Buffer, clientHeld: Buffer): void {
    this.upgradeBothLegs(session, serverRest, clientHeld).catch((err: unknown) => abandon(session, err));
  }

  /** After the server's greeting (UpstreamStartTlsLayer): imapdbg's own STARTTLS, then TLS on the server leg. */
  upstreamStartTls(session: ProxySession, serverRest: Buffer): void {
    this.upgradeUpstream(session, serverRest).catch((err: unknown) => abandon(session, err));
  }

  private async upgradeBothLegs(session: ProxySession, serverRest: Buffer, clientHeld: Buffer): Promise<void> {
    const client = session.socket('client');
    const server = session.socket('server');
    if (!client || !server) return;
    session.pause('server', STARTTLS_PAUSE);
    if (serverRest.length > 0) {
      this.finding(session, 'starttls-response-injection',
        `server sent ${preview(serverRest)} after its tagged OK to STARTTLS, before the TLS handshake; not forwarded to the client`);
    }
    if (clientHeld.length > 0) {
      if (clientHeld[0] === TLS_HANDSHAKE_RECORD) {
        // A client that sent its ClientHello without waiting for the OK: hand it to TLS.
        client.unshift(clientHeld);
      } else {
        // CVE-2011-0411: replaying these inside TLS would make imapdbg itself the vulnerable server.
        this.finding(session, 'starttls-command-injection',
          `client sent ${preview(clientHeld, 'client')} after "STARTTLS\\r\\n" in the same packet, before the TLS handshake; dropped, not forwarded into TLS`);
      }
    }
    session.detach('server');
    const secured = await this.secureOpenConnection(session, server);
    if (!secured) return;
    session.replaceSocket('server', secured);
    session.resume('server', STARTTLS_PAUSE);
    session.resume('client', STARTTLS_PAUSE);
  }

  private async upgradeUpstream(session: ProxySession, rest: Buffer): Promise<void> {
    const server = session.socket('server');
    if (!server) return;
    session.pause('server', UPSTREAM_STARTTLS_PAUSE);
    session.detach('server');
    const up: Upgrade = {};
    let answer: StartTlsAnswer | undefined;
    try {
      answer = await sendStartTls(server, rest, this.handshakeTimeoutMs);
    } catch (err) {
      up.serverProblem = { code: 'upstream-tls-failed', message: `imapdbg's STARTTLS failed: ${errorLine(err)}` };
    }
    if (session.over) return;
    if (answer) {
      const exchange = `C: ${PROXY_TAG} STARTTLS / S: ${answer.lines.map((l) => printable(l)).join(' / S: ')}`;
      if (!answer.ok) {
        up.serverProblem = { code: 'upstream-tls-failed', message: `the server refused imapdbg's STARTTLS (${exchange})` };
      } else {
        this.finding(session, 'imapdbg-starttls', `imapdbg upgraded the server leg itself (${exchange}); not forwarded to the client, whose leg stays as it was`);
        if (answer.after.length > 0) {
          this.finding(session, 'starttls-response-injection', `server sent ${preview(answer.after)} after its tagged OK to STARTTLS, before the TLS handshake; dropped`);
        }
        await this.upgradeServer(session, server, up);
        if (session.over) return;
      }
    }
    if (up.serverProblem || !up.server) { this.failServer(session, up); return; }
    session.replaceSocket('server', up.server.socket);
    session.resume('server', UPSTREAM_STARTTLS_PAUSE);
    session.resume('client', UPSTREAM_STARTTLS_PAUSE);
  }

  /** Report a finding that belongs to the session. */
  finding(session: ProxySession, code: StartTlsCode, message: string): Finding {
    const f = startTlsFinding(code, message);
    if (!session.over) this.options.sink.handle({ type: 'finding', session: session.id, timeUs: nowUs(), finding: f });
    return f;
  }

  /** Report a completed handshake; the server leg's tells the model that its capabilities now come over TLS. */
  tlsEvent(session: ProxySession, info: TlsInfo): void {
    if (session.over) return;
    if (info.leg === 'server') session.model.tlsStarted();
    this.options.sink.handle({ type: 'tls', session: session.id, timeUs: nowUs(), tls: info });
  }

  /** Server leg TLS on `socket` (STARTTLS) or a new connection (implicit); the verdict is kept, not thrown. */
  private async upgradeServer(session: ProxySession, socket: Socket | undefined, up: Upgrade): Promise<void> {
    const { upstream, trust } = this.options;
    try {
      up.server = await connectUpstreamTls({ ...upstream, socket }, trust, this.setup(session));
      this.tlsEvent(session, up.server.info);
      if (up.server.rejected !== undefined) {
        up.serverProblem = { code: 'upstream-certificate-rejected',
          message: `upstream certificate rejected: ${up.server.rejected}; trust it with --upstream-ca FILE or skip the check with --insecure-upstream` };
      }
    } catch (err) {
      up.serverProblem = { code: 'upstream-tls-failed',
        message: `no TLS with ${formatHostPort(upstream.host, upstream.port)}: ${errorLine(err)}` };
    }
  }

  /**
   * Client leg TLS on its plain socket (the session's client socket, taken from the session for
   * the handshake). Its leaf names: the upstream host and certificate names, and imapdbg's own
   * address. Returns false (after closing the session) when the client gave up or the session ended.
   */
  private async upgradeClient(session: ProxySession, up: Upgrade): Promise<boolean> {
    const o = this.options;
    up.stopWatchingClient?.();
    const raw = session.detach('client');
    if (!raw || session.over) return false;
    try {
      const leaves = await o.leaves();
      up.client = await acceptClientTls(raw, leaves,
        { upstreamHost: o.upstream.host, upstreamSans: up.server?.sans ?? [], extraNames: o.proxyNames }, this.setup(session));
      if (session.over) return false;
      this.tlsEvent(session, up.client.info);
      session.replaceSocket('client', up.client.socket);
      return true;
    } catch (err) {
      // No BYE: the client is not speaking TLS with imapdbg. The session releases every socket.
      raw.destroy();
      session.upstreamFailed(`client TLS handshake failed: ${errorLine(err)} (does the client trust the imapdbg CA? see "imapdbg ca show")`,
        'client-tls-failed', 'client');
      return false;
    }
  }

  /**
   * Take the client's plain socket from the session while the server leg is set up ahead of the
   * client's handshake: a client that sends its FIN or closes now has given up, so the session
   * ends at once instead of finishing the server leg for nobody (and holding its connection).
   */
  private holdClient(session: ProxySession, up: Upgrade): void {
    const raw = session.detach('client');
    if (!raw) return;
    const onLeave = (): void => {
      raw.destroy();
      session.upstreamFailed('client TLS handshake failed: the client closed the connection before the TLS handshake', 'client-tls-failed', 'client');
    };
    raw.once('end', onLeave).once('close', onLeave);
    up.stopWatchingClient = () => { raw.off('end', onLeave).off('close', onLeave); };
  }

  /**
   * TLS on both legs of a session whose server connection is open (STARTTLS, or a SOCKS CONNECT to
   * an implicit-TLS port): the server's handshake first (its certificate's names go into the leaf,
   * and a rejected certificate is told to the client over TLS), then the client's. The server's
   * TLS socket, or undefined when the session ended or failed (and was told so).
   */
  async secureOpenConnection(session: ProxySession, server: Socket): Promise<Socket | undefined> {
    const up: Upgrade = {};
    this.holdClient(session, up);
    await this.upgradeServer(session, server, up);
    // The client left or reset, or imapdbg stopped, during the server's handshake: all released.
    if (session.over) return undefined;
    if (!(await this.upgradeClient(session, up))) return undefined;
    if (up.serverProblem || !up.server) { this.failServer(session, up); return undefined; }
    return up.server.socket;
  }

  /** Close the session over the (TLS) client leg because the server leg cannot be used; the session destroys the server sockets. */
  private failServer(session: ProxySession, up: Upgrade): void {
    const problem = up.serverProblem ?? { code: 'upstream-tls-failed' as const, message: 'no TLS with the server' };
    session.upstreamFailed(problem.message, problem.code);
  }

  /** Implicit TLS on either leg (and the start of `--upstream-starttls`): connect, then handshakes. */
  private async start(session: ProxySession): Promise<void> {
    const o = this.options;
    const up: Upgrade = {};
    let server: Socket | undefined;
    let connectError: string | undefined;
    if (o.clientLeg === 'tls') this.holdClient(session, up);
    if (o.upstreamLeg === 'tls') {
      await this.upgradeServer(session, undefined, up);
      server = up.server?.socket;
    } else {
      try {
        server = await plainConnect(o.upstream, session, this.handshakeTimeoutMs);
      } catch (err) {
        connectError = `cannot connect to ${formatHostPort(o.upstream.host, o.upstream.port)}: ${(err as NodeJS.ErrnoException).code ?? errorLine(err)}`;
      }
    }
    // The client left (or imapdbg stopped) while it was connecting: the session released everything.
    if (session.over) return;
    if (o.clientLeg === 'tls' && !(await this.upgradeClient(session, up))) return;
    // A failed plain connect is told as in a session without TLS.
    if (connectError !== undefined) { session.upstreamFailed(connectError); return; }
    if (up.serverProblem || !server) { this.failServer(session, up); return; }
    // --upstream-starttls: the client waits until imapdbg's own STARTTLS after the greeting is done.
    if (o.upstreamLeg === 'starttls') session.pause('client', UPSTREAM_STARTTLS_PAUSE);
    session.upstreamConnected(server);
  }
}

/**
 * A plain TCP connection to the server, half-open capable like the proxy's own, owned by the
 * session from the start and bounded in time.
 */
function plainConnect(upstream: HostPort, session: ProxySession, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs / 1000} s`)), timeoutMs);
    const fail = (err: Error): void => { clearTimeout(timer); reject(err); };
    const onClose = (): void => fail(new Error('the connection closed before it was established'));
    socket.once('error', fail).once('close', onClose);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail).off('close', onClose);
      resolve(socket);
    });
    session.adopt(socket);
  });
}

/** A layer or a setup step threw: end the session rather than the process. */
export function abandon(session: ProxySession, err: unknown): void {
  session.upstreamFailed(`imapdbg internal error: ${errorLine(err)}`, 'upstream-tls-failed', 'proxy');
}
