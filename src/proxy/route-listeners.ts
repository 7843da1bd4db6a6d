/**
 * `--route LISTEN=SERVER` (repeatable): several fixed listeners in one process, each forwarding to
 * its own server, all into one event stream and one capture with distinct session ids. A server
 * port in the TLS list (993 by default) means implicit TLS on both legs; any other is plain with
 * STARTTLS intercepted.
 */
import { formatHostPort, parseHostPort, type HostPort } from './address';
import { ProxyServer, type ProxyServerOptions } from './proxy-server';
import type { ExtraSessionOptions } from './socks/target-session';
import { TlsInterception, type TlsInterceptionOptions } from './tls/tls-interceptor';

export interface Route {
  listen: HostPort;
  upstream: HostPort;
}

/** Parse `127.0.0.1:1143=imap.example.org:143`; throws a one-line Error. */
export function parseRoute(text: string): Route {
  const at = text.indexOf('=');
  if (at < 0) throw new Error(`--route must be LISTEN=SERVER, e.g. 127.0.0.1:1143=imap.example.org:143 (got "${text}")`);
  return { listen: parseHostPort(text.slice(0, at), '--route listen address'), upstream: parseHostPort(text.slice(at + 1), '--route server') };
}

/** What the listeners share: ProxyServer's options without the per-route ones, and the TLS settings. */
export type RouteContext = Omit<ProxyServerOptions, 'listen' | 'upstream' | 'startSession' | 'sessionOptions' | 'nextSessionId'> & {
  tls: Omit<TlsInterceptionOptions, 'clientLeg' | 'upstreamLeg' | 'upstream'>;
  tlsPorts: ReadonlySet<number>;
  /** Per-session options besides TLS: layers after the TLS ones (COMPRESS), frame stages (rules...). */
  extraOptions?: () => ExtraSessionOptions;
  /** Names a client may use for imapdbg at a listen address, added to its leaves. */
  namesFor?: (listen: HostPort) => string[];
};

/** A running listener and the route it serves. */
export interface RouteListener {
  route: Route;
  server: ProxyServer;
  /** `implicit TLS` or `plain, STARTTLS intercepted`. */
  mode: string;
  bound?: HostPort;
}

/** One ProxyServer per route; session ids count across all of them. */
export class RouteListeners {
  readonly listeners: RouteListener[];
  private nextId = 1;

  constructor(routes: Route[], context: RouteContext) {
    const { tls, tlsPorts, extraOptions, namesFor, ...shared } = context;
    const nextSessionId = (): number => this.nextId++;
    this.listeners = routes.map((route) => {
      const leg = tlsPorts.has(route.upstream.port) ? 'tls' as const : 'plain' as const;
      const interception = new TlsInterception({ ...tls, clientLeg: leg, upstreamLeg: leg, upstream: route.upstream,
        proxyNames: namesFor?.(route.listen) ?? tls.proxyNames });
      const server = new ProxyServer({ ...shared, listen: route.listen, upstream: route.upstream, nextSessionId,
        startSession: interception.startSession, sessionOptions: () => {
          const extra = extraOptions?.() ?? {};
          return { ...extra, layers: [...interception.layers(), ...(extra.layers ?? [])], tls: interception };
        } });
      return { route, server, mode: leg === 'tls' ? 'implicit TLS' : 'plain, STARTTLS intercepted' };
    });
  }

  /** Listen on every route; the first that cannot listen closes the others and rejects with its address. */
  async listen(): Promise<void> {
    for (const l of this.listeners) {
      try {
        l.bound = await l.server.listen();
      } catch (err) {
        await this.close();
        throw new Error(`cannot listen on ${formatHostPort(l.route.listen.host, l.route.listen.port)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }

  /** The id a session on another listener of the same process (the SOCKS front end) should take. */
  allocateId(): number {
    return this.nextId++;
  }

  close(): Promise<void> {
    return Promise.all(this.listeners.map((l) => l.server.close().catch(() => undefined))).then(() => undefined);
  }
}
