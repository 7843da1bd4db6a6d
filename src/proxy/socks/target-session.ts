/**
 * What a connection to a server chosen by the client becomes (SOCKS5): by its port, an IMAP
 * session with implicit TLS on both legs (993, `--tls-ports`), an IMAP session that starts plain
 * with STARTTLS intercepted (143, `--imap-ports`), or an opaque relay (any other port). The TLS
 * interception is the proxy's own, made for the host name the client asked for, so the leaf
 * carries that name (or the client's SNI).
 */
import type { Socket } from 'node:net';
import type { EventSink, SessionInfo } from '../../imap/events';
import type { FramerLimits } from '../../imap/direction-framer';
import type { FrameAnnotator } from '../../imap/session-model';
import type { HostPort } from '../address';
import { OpaqueRelay } from '../opaque-relay';
import type { ListenerSession } from '../session-listener';
import { ProxySession, type FlowControl, type ProxySessionOptions } from '../proxy-session';
import { abandon, TlsInterception, type TlsInterceptionOptions } from '../tls/tls-interceptor';

/** RFC 9051 / RFC 8314: the IMAP ports, and the one that is implicit TLS. */
export const DEFAULT_IMAP_PORTS: readonly number[] = [143, 993];
export const DEFAULT_TLS_PORTS: readonly number[] = [993];

/** Which destination ports are IMAP, and which of those start with TLS. */
export interface PortPolicy {
  imapPorts: ReadonlySet<number>;
  tlsPorts: ReadonlySet<number>;
}

/** What every session shares: where events go, and how TLS is intercepted. */
export interface TargetSessionContext {
  sink: EventSink;
  flow?: FlowControl;
  limits?: FramerLimits;
  annotators?: () => FrameAnnotator[];
  /** Per-session options besides TLS: layers after the TLS ones (COMPRESS), frame stages (rules...). */
  sessionOptions?: () => ExtraSessionOptions;
  /** The TLS settings shared by all sessions (CA, trust, key log); legs and host are per session. */
  tls: Omit<TlsInterceptionOptions, 'clientLeg' | 'upstreamLeg' | 'upstream'>;
  ports: PortPolicy;
}

/** What the proxy command adds to every IMAP session. */
export type ExtraSessionOptions = Pick<ProxySessionOptions, 'layers' | 'stages' | 'inflateBounds'>;

/** A running session of either kind (IMAP or opaque), for shutdown. */
export type RunningSession = ListenerSession;

/** How a destination port is handled. */
export function portKind(port: number, ports: PortPolicy): 'imap-tls' | 'imap' | 'opaque' {
  if (ports.tlsPorts.has(port)) return 'imap-tls';
  return ports.imapPorts.has(port) ? 'imap' : 'opaque';
}

/**
 * Start the session for a client whose server connection is up. `target` is the host and port
 * the client asked for (the name, for the leaf and the server certificate check).
 */
export function startTargetSession(client: Socket, server: Socket, target: HostPort, info: SessionInfo,
  context: TargetSessionContext, onClosed: () => void): RunningSession {
  const kind = portKind(target.port, context.ports);
  if (kind === 'opaque') return new OpaqueRelay(client, server, { info, sink: context.sink, flow: context.flow, onClosed });
  const leg = kind === 'imap-tls' ? 'tls' : 'plain';
  const interception = new TlsInterception({ ...context.tls, clientLeg: leg, upstreamLeg: leg, upstream: target });
  const extra = context.sessionOptions?.() ?? {};
  const session = new ProxySession(client, {
    ...extra, info, sink: context.sink, annotators: context.annotators?.() ?? [], limits: context.limits, flow: context.flow, onClosed,
    layers: [...interception.layers(), ...(extra.layers ?? [])], tls: interception,
  });
  if (!session.adopt(server)) return session;
  if (leg === 'plain') session.upstreamConnected(server);
  else implicitTls(session, server, interception).catch((err: unknown) => abandon(session, err));
  return session;
}

/** Implicit TLS on a connection already open (TlsInterception.secureOpenConnection), then forwarding. */
async function implicitTls(session: ProxySession, server: Socket, interception: TlsInterception): Promise<void> {
  const secured = await interception.secureOpenConnection(session, server);
  if (secured) session.upstreamConnected(secured);
}
