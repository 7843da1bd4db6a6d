/**
 * A session that is not IMAP (SMTP, HTTP... reached through the SOCKS front end): both directions
 * relayed byte for byte and recorded as `data`, never framed, so no IMAP finding is made about
 * it. Half-closes are mirrored, a reset is mirrored as a reset, backpressure pauses the reader.
 */
import type { Socket } from 'node:net';
import type { Direction } from '../imap/frame';
import type { EventSink, SessionEnd, SessionInfo } from '../imap/events';
import { nowUs } from './clock';
import { errorLine } from './error-line';
import type { FlowControl } from './proxy-session';

const other = (d: Direction): Direction => (d === 'client' ? 'server' : 'client');

export interface OpaqueRelayOptions {
  /** `opaque: true` is set by the relay. */
  info: SessionInfo;
  sink: EventSink;
  flow?: FlowControl;
  onClosed?: () => void;
}

export class OpaqueRelay {
  private readonly sockets: Record<Direction, Socket>;
  private readonly bytes = { client: 0, server: 0 };
  private readonly closedSides = { client: false, server: false };
  private readonly pausedFor: Record<Direction, Set<string>> = { client: new Set(), server: new Set() };
  private end: SessionEnd | undefined;
  private finished = false;

  /** Both sockets connected; the client socket may be paused and may hold early bytes. */
  constructor(client: Socket, server: Socket, private readonly options: OpaqueRelayOptions) {
    this.sockets = { client, server };
    options.sink.handle({ type: 'session-open', session: { ...options.info, opaque: true } });
    for (const d of ['client', 'server'] as const) this.attach(d);
  }

  get id(): number {
    return this.options.info.id;
  }

  /** Close both sides now (proxy shutdown). */
  shutdown(): void {
    this.end ??= { by: 'proxy-shutdown' };
    this.sockets.client.destroy();
    this.sockets.server.destroy();
  }

  private attach(d: Direction): void {
    const s = this.sockets[d];
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.forward(d, chunk));
    s.on('end', () => {
      this.end ??= { by: d === 'client' ? 'client-closed' : 'server-closed' };
      const target = this.sockets[other(d)];
      if (!target.destroyed && !target.writableEnded) target.end();
    });
    s.on('error', (err: Error) => {
      this.end ??= { by: 'error', side: d, message: errorLine(err) };
      const target = this.sockets[other(d)];
      if (target.destroyed) return;
      // A reset is mirrored once what was read is delivered.
      const reset = (): void => { try { target.resetAndDestroy(); } catch { target.destroy(); } };
      if (target.writableLength > 0) target.once('drain', reset); else reset();
    });
    s.on('close', () => {
      this.closedSides[d] = true;
      if (this.closedSides[other(d)]) this.finish();
    });
    s.resume();
  }

  private forward(d: Direction, chunk: Buffer): void {
    const target = this.sockets[other(d)];
    if (target.destroyed || target.writableEnded) return;
    const timeUs = nowUs();
    this.bytes[d] += chunk.length;
    if (!target.write(chunk) && !this.pausedFor[d].has('peer')) this.pause(d, 'peer', new Promise((r) => target.once('drain', r)));
    this.options.sink.handle({ type: 'data', session: this.id, direction: d, timeUs, bytes: chunk, layer: 'wire' });
    const flow = this.options.flow;
    if (flow?.congested && !this.pausedFor[d].has('capture')) this.pause(d, 'capture', flow.whenDrained());
  }

  private pause(d: Direction, reason: string, until: Promise<unknown>): void {
    this.pausedFor[d].add(reason);
    this.sockets[d].pause();
    void until.then(() => {
      this.pausedFor[d].delete(reason);
      if (this.pausedFor[d].size === 0) this.sockets[d].resume();
    });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.options.sink.handle({ type: 'session-close', session: this.id, timeUs: nowUs(), end: this.end ?? { by: 'proxy-shutdown' },
      bytes: { ...this.bytes }, frames: 0 });
    this.options.onClosed?.();
  }
}
