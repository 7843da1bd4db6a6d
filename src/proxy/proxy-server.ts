import type { Socket } from 'node:net';
import type { EventSink } from '../imap/events';
import type { FrameAnnotator } from '../imap/session-model';
import type { FramerLimits } from '../imap/direction-framer';
import { formatHostPort, type HostPort } from './address';
import { nowUs } from './clock';
import { ProxySession, type FlowControl, type ProxySessionOptions } from './proxy-session';
import { connectLending, lendAccepted } from './lent-reads';
import { SessionListener } from './session-listener';

/** Inactivity limit default: IDLE may sit silent for 29 minutes (RFC 2177), so never less than 31. */
export const DEFAULT_IDLE_TIMEOUT_MS = 31 * 60 * 1000;
/**
 * Default bound on each step of a connection's setup (the upstream connect, a TLS handshake,
 * imapdbg's own STARTTLS): a dead or silent peer, not a slow one. Until it is set up, a client is
 * not read, so this is also how long a client that left early can hold its upstream connection.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface ProxyServerOptions {
  listen: HostPort;
  upstream: HostPort;
  sink: EventSink;
  flow?: FlowControl;
  limits?: FramerLimits;
  /** Annotators for each new session (IDLE tracker, linter...). */
  annotators?: () => FrameAnnotator[];
  /** Close a session after this long without a byte either way. */
  idleTimeoutMs?: number;
  /** Give up on an upstream connect that takes longer than this. */
  handshakeTimeoutMs?: number;
  /** Open the upstream connection; plain TCP unless a TLS layer replaces it. */
  connectUpstream?: (upstream: HostPort) => Socket;
  /**
   * Set up both legs itself instead of a plain connect (TLS interception: the client's handshake
   * waits for the upstream certificate). Must end in `session.upstreamConnected` or `upstreamFailed`.
   */
  startSession?: (session: ProxySession, upstream: HostPort) => void;
  /** Extra per-session options: layers (STARTTLS, COMPRESS) and stages (rules, scripts, intercept). */
  sessionOptions?: () => Pick<ProxySessionOptions, 'layers' | 'stages' | 'tls' | 'inflateBounds'>;
  /** Session ids shared by several listeners of one process (`--route`, one capture); default 1, 2, 3... */
  nextSessionId?: () => number;
}

/**
 * Listens for IMAP clients and gives each connection its own ProxySession with its own upstream
 * connection. Both legs are half-open capable so that a FIN is mirrored, not turned into a close.
 */
export class ProxyServer extends SessionListener<ProxySession> {
  private nextId = 1;

  constructor(private readonly options: ProxyServerOptions) {
    super(options.listen);
  }

  protected accept(accepted: Socket): void {
    const { upstream } = this.options;
    // A session that starts with its own handshake (implicit TLS) reads the socket itself.
    const client = this.options.startSession ? accepted : lendAccepted(accepted, true);
    const session = new ProxySession(client, {
      info: {
        id: this.options.nextSessionId?.() ?? this.nextId++,
        startUs: nowUs(),
        client: formatHostPort(client.remoteAddress, client.remotePort),
        upstream: formatHostPort(upstream.host, upstream.port),
        listen: this.address,
      },
      sink: this.options.sink,
      annotators: this.options.annotators?.() ?? [],
      limits: this.options.limits,
      flow: this.options.flow,
      onClosed: () => this.sessions.delete(session),
      ...this.options.sessionOptions?.(),
    });
    this.sessions.add(session);
    const timeout = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    client.setTimeout(timeout, () => client.destroy(new Error(`no traffic for ${Math.round(timeout / 1000)} s`)));
    if (this.options.startSession) { this.options.startSession(session, upstream); return; }
    const server = (this.options.connectUpstream ?? plainConnect)(upstream);
    // Owned from the start: a client that leaves, or a shutdown, while it connects releases it too.
    if (!session.adopt(server)) return;
    const bound = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(() => server.destroy(new Error(`no connection within ${bound / 1000} s`)), bound);
    const onConnectError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      session.upstreamFailed(`cannot connect to ${formatHostPort(upstream.host, upstream.port)}: ${err.code ?? err.message}`);
    };
    server.once('error', onConnectError);
    server.once('close', () => clearTimeout(timer));
    server.once(server.connecting ? 'connect' : 'ready', () => {
      clearTimeout(timer);
      server.off('error', onConnectError);
      session.upstreamConnected(server);
    });
  }
}

function plainConnect(upstream: HostPort): Socket {
  return connectLending({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
}
