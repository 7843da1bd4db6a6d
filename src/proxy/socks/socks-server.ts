/**
 * The SOCKS5 front end (RFC 1928, `imapdbg proxy --socks`): a client names the real server in its
 * CONNECT request, imapdbg connects there and answers with the real outcome, then the connection
 * becomes a session like any other (see target-session.ts). The negotiation is bounded in size
 * (MAX_PENDING_BYTES) and in time (the handshake timeout); a client that fails it costs one line
 * on stderr and its connection, never the proxy.
 */
import type { Socket } from 'node:net';
import { formatHostPort, type HostPort } from '../address';
import { nowUs } from '../clock';
import { errorLine, oneLine } from '../error-line';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS } from '../proxy-server';
import { systemResolver, type HostResolver } from './host-resolver';
import { SocksNegotiation, type NegotiationStep, type SocksCredentials } from './socks-negotiation';
import { encodeReply, Reply, replyText, type SocksTarget } from './socks-protocol';
import { startTargetSession, type RunningSession, type TargetSessionContext } from './target-session';
import { dialUpstream } from './upstream-dialer';
import { SessionListener } from '../session-listener';

export interface SocksServerOptions extends TargetSessionContext {
  listen: HostPort;
  /** RFC 1929 username/password the clients must give; none: no authentication. */
  credentials?: SocksCredentials;
  /** Injectable so tests never query DNS. */
  resolver?: HostResolver;
  /** Bound on the negotiation and on the connect to the server. */
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Session ids shared with other listeners of the same process (one capture). */
  nextSessionId: () => number;
  /** One line about a client that failed the negotiation or a CONNECT that failed. */
  onProblem?: (line: string) => void;
}

/** How long a refused client may take to read its SOCKS error reply before it is dropped. */
const REFUSE_GRACE_MS = 2_000;

export class SocksServer extends SessionListener<RunningSession> {
  /** Connections still negotiating or connecting, destroyed by close(). */
  private readonly pending = new Set<Socket>();

  constructor(private readonly options: SocksServerOptions) {
    super(options.listen);
  }

  override close(): Promise<void> {
    for (const s of [...this.pending]) s.destroy();
    return super.close();
  }

  private problem(client: string, text: string): void {
    this.options.onProblem?.(oneLine(`SOCKS client ${client}: ${text}`));
  }

  protected accept(client: Socket): void {
    const who = formatHostPort(client.remoteAddress, client.remotePort);
    const negotiation = new SocksNegotiation(this.options.credentials);
    const bound = this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    let received = 0;
    this.pending.add(client);
    const drop = (): void => { this.pending.delete(client); };
    client.once('close', drop);
    client.on('error', () => undefined); // reported through 'close' or the step that failed
    const timer = setTimeout(() => {
      this.problem(who, received === 0
        ? `sent nothing within ${bound / 1000} s (an IMAP client pointed at the SOCKS port waits for a greeting that never comes)`
        : `no complete SOCKS request within ${bound / 1000} s (${negotiation.incomplete})`);
      client.destroy();
    }, bound);
    const onEnd = (): void => {
      clearTimeout(timer);
      if (!negotiation.done) this.problem(who, `closed during the SOCKS negotiation (${negotiation.incomplete})`);
      client.destroy();
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      for (const step of negotiation.receive(chunk)) this.step(client, who, step, () => {
        clearTimeout(timer);
        client.off('data', onData).off('end', onEnd);
      });
    };
    client.on('data', onData).once('end', onEnd);
    client.resume();
  }

  private step(client: Socket, who: string, step: NegotiationStep, stopReading: () => void): void {
    if (step.kind === 'send') { client.write(step.bytes); return; }
    stopReading();
    client.pause();
    if (step.kind === 'refuse') {
      this.problem(who, step.reason);
      refuse(client, step.bytes);
      return;
    }
    if (step.early.length > 0) client.unshift(step.early);
    void this.connect(client, who, step.target);
  }

  private async connect(client: Socket, who: string, target: SocksTarget): Promise<void> {
    const o = this.options;
    const wanted = formatHostPort(target.host, target.port);
    let server: Socket | undefined;
    const onClientGone = (): void => { server?.destroy(); };
    client.once('close', onClientGone);
    const outcome = await dialUpstream(target.host, target.port, o.resolver ?? systemResolver, o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      (socket) => { server = socket; socket.on('error', () => undefined); });
    client.off('close', onClientGone);
    if (!outcome.ok) {
      this.problem(who, `CONNECT ${wanted}: ${outcome.message}; replied ${replyText(outcome.reply)}`);
      refuse(client, encodeReply(outcome.reply));
      return;
    }
    const up = outcome.socket;
    if (client.destroyed) { up.destroy(); return; }
    this.pending.delete(client);
    client.write(encodeReply(Reply.succeeded, { address: up.localAddress ?? '0.0.0.0', port: up.localPort ?? 0 }));
    const addressed = formatHostPort(outcome.address, target.port);
    const info = {
      id: o.nextSessionId(), startUs: nowUs(), client: who, upstream: wanted, listen: this.address,
      ...(addressed !== wanted ? { upstreamAddress: addressed } : {}),
    };
    const timeout = o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    client.setTimeout(timeout, () => client.destroy(new Error(`no traffic for ${Math.round(timeout / 1000)} s`)));
    let session: RunningSession | undefined;
    try {
      session = startTargetSession(client, up, { host: target.host, port: target.port }, info, o, () => { if (session) this.sessions.delete(session); });
    } catch (err) {
      this.problem(who, `CONNECT ${wanted}: imapdbg internal error: ${errorLine(err)}`);
      client.destroy();
      up.destroy();
      return;
    }
    this.sessions.add(session);
  }
}

/** Send the SOCKS error reply (if any) and close; a client that does not read it is dropped. */
function refuse(client: Socket, bytes: Buffer | undefined): void {
  if (client.destroyed) return;
  if (bytes) client.end(bytes, () => client.destroy());
  else client.destroy();
  setTimeout(() => client.destroy(), REFUSE_GRACE_MS).unref();
}
