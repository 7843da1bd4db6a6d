import type { Direction, Finding, Frame } from './frame';
import type { Intervention } from './intervention';

/** A client connection as the proxy saw it open. */
export interface SessionInfo {
  id: number;
  startUs: number;
  /** The client's address, `host:port`. */
  client: string;
  /** The server the session was forwarded to, `host:port`. */
  upstream: string;
  /** The proxy's listening address, `host:port`. */
  listen: string;
  /**
   * The address imapdbg connected to, `ip:port`, when `upstream` names the server by the host name
   * a client asked for (SOCKS5). Absent in older captures.
   */
  upstreamAddress?: string;
  /** Not IMAP (e.g. SMTP through SOCKS5): relayed and recorded byte for byte, never framed. */
  opaque?: boolean;
}

/** How a session ended. */
export type SessionEnd =
  | { by: 'client-closed' }
  | { by: 'server-closed' }
  | { by: 'proxy-shutdown' }
  | { by: 'error'; side: Direction | 'proxy'; message: string };

/** TLS parameters of one leg, recorded when a handshake completes. */
export interface TlsInfo {
  leg: 'client' | 'server';
  version: string;
  cipher: string;
  sni?: string;
  alpn?: string;
  /** Upstream certificate, for the server leg. */
  peerSubject?: string;
  peerIssuer?: string;
  /** `verified`, `insecure (not verified)` or the verification error. */
  verdict?: string;
}

/** Which copy of a direction's bytes a `data` event carries (see ProxyEvent). */
export type DataLayer = 'wire' | 'inflated' | 'delivered';

/**
 * The one typed event stream. Sockets (live) or a capture reader (offline) produce it; the TUI,
 * the capture writer, the headless printer and the stats collector consume it.
 */
export type ProxyEvent =
  | { type: 'session-open'; session: SessionInfo }
  /**
   * Bytes of one direction: `wire` exactly as the peer sent them (after TLS decryption), which is
   * what the frames describe; `inflated` the inflated copy of a COMPRESS=DEFLATE stream, which is
   * what the frames' offsets then count; `delivered` what imapdbg wrote to the other peer, recorded
   * only in a session whose conversation imapdbg changes (rules, intercept, scripts), injected
   * bytes included.
   * `bytes` is lent for the call only (the proxy reads into a reused buffer): a sink that keeps
   * them must copy them. `insideLiteral`: every byte lies within one literal body that goes on
   * past them, so no frame ends here and nothing more will be said about these bytes.
   */
  | { type: 'data'; session: number; direction: Direction; timeUs: number; bytes: Buffer; layer: DataLayer; insideLiteral?: boolean }
  /** A change imapdbg made to the conversation because the user asked (rule, intercept, script). */
  | { type: 'intervention'; session: number; timeUs: number; intervention: Intervention }
  | { type: 'frame'; frame: Frame }
  /** A finding that belongs to the session rather than to one frame (e.g. at connection end). */
  | { type: 'finding'; session: number; timeUs: number; finding: Finding }
  | { type: 'tls'; session: number; timeUs: number; tls: TlsInfo }
  | {
      type: 'session-close';
      session: number;
      timeUs: number;
      end: SessionEnd;
      bytes: { client: number; server: number };
      frames: number;
    };

/** A consumer of the event stream. */
export interface EventSink {
  handle(event: ProxyEvent): void;
  /** Flush and release; called once when the stream ends. */
  close?(): Promise<void>;
}

/** Fans events out to every sink, in order. */
export class EventBus implements EventSink {
  private readonly sinks: EventSink[] = [];

  add(sink: EventSink): this {
    this.sinks.push(sink);
    return this;
  }

  handle(event: ProxyEvent): void {
    // Indexed: every event of every session passes here (for-of's iterator showed in the garbage).
    for (let i = 0; i < this.sinks.length; i++) this.sinks[i].handle(event);
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close?.();
  }
}
