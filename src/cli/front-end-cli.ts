/**
 * The proxy command's SOCKS5 and `--route` options (several servers in one process, one capture),
 * and their assembly into listeners, so that proxy-command.ts only registers them and starts them.
 */
import type { Command } from 'commander';
import type { EventSink } from '../imap/events';
import type { FramerLimits } from '../imap/direction-framer';
import type { FrameAnnotator } from '../imap/session-model';
import { formatHostPort, parseHostPort, type HostPort } from '../proxy/address';
import type { FlowControl } from '../proxy/proxy-session';
import { parseRoute, RouteListeners, type Route } from '../proxy/route-listeners';
import { isIP } from 'node:net';
import { layeredResolver, systemResolver, type HostResolver } from '../proxy/socks/host-resolver';
import type { SocksCredentials } from '../proxy/socks/socks-negotiation';
import { SocksServer } from '../proxy/socks/socks-server';
import { DEFAULT_IMAP_PORTS, DEFAULT_TLS_PORTS, type ExtraSessionOptions } from '../proxy/socks/target-session';
import { proxyNamesFor, setUpTls, type TlsCliOptions, type TlsSetup } from './tls-cli';

export interface FrontEndCliOptions {
  socks?: string;
  socksAuth?: string;
  route: string[];
  imapPorts: string;
  tlsPorts: string;
  resolve: string[];
}

/** Add `--socks`, `--socks-auth`, `--route`, `--imap-ports`, `--tls-ports` to the proxy command. */
export function addFrontEndOptions(cmd: Command): Command {
  return cmd
    .option('--socks <host:port>', 'be a SOCKS5 proxy (RFC 1928) instead of needing --upstream: each client names its real server (e.g. 127.0.0.1:1080)')
    .option('--socks-auth <user:password>', 'with --socks: require this RFC 1929 username/password (off by default)')
    .option('--route <listen=server>', 'a fixed listener for one server, repeatable, e.g. 127.0.0.1:1993=imap.example.org:993 (one process, one capture)',
      (value: string, prev: string[]) => [...prev, value], [] as string[])
    .option('--imap-ports <ports>', 'with --socks: server ports framed as IMAP; any other port (SMTP, HTTP...) is relayed byte for byte as an opaque session',
      DEFAULT_IMAP_PORTS.join(','))
    .option('--tls-ports <ports>', 'with --socks or --route: server ports that are implicit TLS on both legs (IMAP too); other IMAP ports start plain, STARTTLS intercepted',
      DEFAULT_TLS_PORTS.join(','))
    .option('--resolve <name=address>', 'with --socks: connect to ADDRESS when a client asks for NAME (repeatable, like curl --resolve); localhost is 127.0.0.1 and *.invalid never resolves, without a DNS query',
      (value: string, prev: string[]) => [...prev, value], [] as string[]);
}

/** True when the command line asks for SOCKS5 or routes instead of one --upstream. */
export function wantsFrontEnds(opts: FrontEndCliOptions): boolean {
  return opts.socks !== undefined || opts.route.length > 0;
}

/** What every session shares, from the proxy command. */
export interface FrontEndShared {
  sink: EventSink;
  flow?: FlowControl;
  limits?: FramerLimits;
  annotators?: () => FrameAnnotator[];
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Per-session options besides TLS: layers after the TLS ones (COMPRESS), frame stages (rules, scripts, intercept). */
  sessionOptions: () => ExtraSessionOptions;
  /** One line about a client that failed the SOCKS negotiation, or a CONNECT that failed. */
  warn: (line: string) => void;
  /** Tests only: resolve names without DNS. */
  resolver?: HostResolver;
}

/** Running listeners: the start-up lines, a title for the UI, and how to stop them. */
export interface FrontEnds {
  lines: string[];
  title: string;
  tls: TlsSetup;
  close(): Promise<void>;
}

/** Validate the options (throws a one-line Error), listen, and describe what listens where. */
export async function startFrontEnds(opts: FrontEndCliOptions & TlsCliOptions & { upstream?: string }, shared: FrontEndShared): Promise<FrontEnds> {
  if (opts.upstream !== undefined) throw new Error('--upstream does not go with --socks or --route (write it as one more --route LISTEN=SERVER)');
  if (opts.tls || opts.upstreamTls || opts.upstreamStarttls) throw new Error('--tls, --upstream-tls and --upstream-starttls do not go with --socks or --route: the server port decides (--tls-ports)');
  if (opts.socksAuth !== undefined && opts.socks === undefined) throw new Error('--socks-auth needs --socks');
  const socksListen = opts.socks !== undefined ? parseHostPort(opts.socks, '--socks') : undefined;
  const credentials = opts.socksAuth !== undefined ? parseCredentials(opts.socksAuth) : undefined;
  const routes: Route[] = opts.route.map(parseRoute);
  const imapPorts = parsePorts(opts.imapPorts, '--imap-ports');
  const tlsPorts = parsePorts(opts.tlsPorts, '--tls-ports');
  const resolver = layeredResolver(parseResolve(opts.resolve), shared.resolver ?? systemResolver);
  // The shared TLS pieces (CA, trust store, key log); legs, host and leaf names are set per session.
  const tls = await setUpTls({ ...opts, tls: routes.some((r) => tlsPorts.has(r.upstream.port)) }, { host: 'localhost', port: 0 }, socksListen ?? routes[0].listen, shared.sink);
  const { clientLeg: _c, upstreamLeg: _u, upstream: _up, ...tlsShared } = tls.interception.options;
  const common = { sink: shared.sink, flow: shared.flow, limits: shared.limits, annotators: shared.annotators,
    idleTimeoutMs: shared.idleTimeoutMs, handshakeTimeoutMs: shared.handshakeTimeoutMs };
  const routeListeners = new RouteListeners(routes, { ...common, tls: tlsShared, tlsPorts, extraOptions: shared.sessionOptions, namesFor: (l) => proxyNamesFor(l.host) });
  // A client of the SOCKS front end never addresses imapdbg by its own name: the leaf carries the server's names only.
  const socks = socksListen ? new SocksServer({ ...common, listen: socksListen, credentials, resolver, onProblem: shared.warn,
    tls: { ...tlsShared, proxyNames: [] }, ports: { imapPorts: new Set([...imapPorts, ...tlsPorts]), tlsPorts },
    sessionOptions: shared.sessionOptions, nextSessionId: () => routeListeners.allocateId() }) : undefined;
  const lines: string[] = [];
  const titles: string[] = [];
  try {
    await routeListeners.listen();
    if (socks) {
      let bound: HostPort;
      try {
        bound = await socks.listen();
      } catch (err) {
        throw new Error(`cannot listen on ${opts.socks}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const where = formatHostPort(bound.host, bound.port);
      titles.push(`SOCKS5 ${where}`);
      lines.push(`SOCKS5 proxy listening on ${where}${credentials ? ' (username/password required)' : ''}: IMAP ports ${[...imapPorts].join(',')}, implicit TLS ports ${[...tlsPorts].join(',')}, other ports relayed as opaque sessions`);
    }
  } catch (err) {
    await routeListeners.close();
    tls.close();
    throw err;
  }
  for (const l of routeListeners.listeners) {
    const from = formatHostPort(l.bound?.host, l.bound?.port);
    const to = formatHostPort(l.route.upstream.host, l.route.upstream.port);
    titles.push(`${from} → ${to}`);
    lines.push(`listening on ${from}, forwarding to ${to} (${l.mode})`);
  }
  return {
    lines, title: titles.join(', '), tls,
    close: async () => { await Promise.all([socks?.close(), routeListeners.close()]); },
  };
}

/** `143,993` as a set of ports; throws a one-line Error. */
export function parsePorts(text: string, what: string): Set<number> {
  const ports = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const bad = ports.find((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (bad !== undefined) throw new Error(`${what} must be a comma-separated list of ports 1-65535 (got "${bad}")`);
  return new Set(ports.map(Number));
}

/** `--resolve name=address` entries; throws a one-line Error. */
function parseResolve(entries: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const e of entries) {
    const at = e.indexOf('=');
    const name = e.slice(0, Math.max(at, 0)).toLowerCase();
    const address = e.slice(at + 1).replace(/^\[(.*)\]$/, '$1');
    if (at < 1 || !/^[a-z0-9._-]+$/.test(name) || isIP(address) === 0) throw new Error(`--resolve must be NAME=ADDRESS with an IP address (got "${e}")`);
    map[name] = address;
  }
  return map;
}

/** `user:password` (RFC 1929: each 1-255 bytes); throws a one-line Error that never shows the password. */
function parseCredentials(text: string): SocksCredentials {
  const at = text.indexOf(':');
  const user = at < 0 ? '' : text.slice(0, at);
  const password = at < 0 ? '' : text.slice(at + 1);
  const size = (s: string): number => Buffer.byteLength(s, 'utf8');
  if (size(user) < 1 || size(user) > 255 || size(password) < 1 || size(password) > 255) {
    throw new Error('--socks-auth must be USER:PASSWORD, each 1-255 bytes (RFC 1929)');
  }
  return { user, password };
}
