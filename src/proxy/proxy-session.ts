import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Direction, Finding, Frame } from '../imap/frame';
import type { EventSink, SessionEnd, SessionInfo } from '../imap/events';
import { SessionModel, type FrameAnnotator } from '../imap/session-model';
import type { FramerLimits } from '../imap/direction-framer';
import { nowUs } from './clock';

/** Something that can ask the proxy to stop reading for a while (the capture writer when the disk lags). */
export interface FlowControl {
  readonly congested: boolean;
  whenDrained(): Promise<void>;
}

/**
 * A change of byte layer after a frame: STARTTLS's or COMPRESS's tagged OK (RFC 3501 6.2.1,
 * RFC 4978). The model stops at the boundary frame so the layer can take over at that exact byte.
 */
export interface SessionLayer {
  /** True for the frame after which this layer changes the byte stream. */
  isBoundary(frame: Frame): boolean;
  /**
   * Take over after the boundary. `rest` holds the bytes of the same chunk after it. Return true
   * when the layer consumed `rest`; false to have it framed as before.
   */
  handle(session: ProxySession, frame: Frame, direction: Direction, rest: Buffer): boolean;
}

/** Decodes one direction's wire bytes for the model (COMPRESS=DEFLATE); may defer work to later turns. */
export interface StreamDecoder {
  write(chunk: Buffer, timeUs: number): void;
  /** Finish deferred work now: the direction or the session is ending. */
  flush(): void;
}

export interface ProxySessionOptions {
  info: SessionInfo;
  sink: EventSink;
  annotators?: FrameAnnotator[];
  limits?: FramerLimits;
  flow?: FlowControl;
  /** Layers that may take over the byte stream after a frame (STARTTLS, COMPRESS). */
  layers?: SessionLayer[];
  /** Called once when the session is over. */
  onClosed?: () => void;
}

const other = (d: Direction): Direction => (d === 'client' ? 'server' : 'client');

/**
 * One client connection and its upstream connection. Every chunk is framed (synchronously, so the
 * proxy knows STARTTLS and COMPRESS boundaries to the byte), recorded and forwarded at once;
 * nothing waits for a frame to complete. Backpressure is the only thing that pauses a reader:
 * a peer that cannot take bytes as fast, or a capture file that lags behind.
 * When one side closes or resets, the other side is closed the same way after every byte already
 * read is delivered.
 */
export class ProxySession {
  readonly model: SessionModel;
  private readonly sockets: Record<Direction, Socket | undefined> = { client: undefined, server: undefined };
  private readonly ended: Record<Direction, boolean> = { client: false, server: false };
  private readonly bytes = { client: 0, server: 0 };
  private readonly pausedFor: Record<Direction, Set<string>> = { client: new Set(), server: new Set() };
  private end: SessionEnd | undefined;
  private closed = false;
  private boundaryHit: { layer: SessionLayer; frame: Frame } | undefined;
  private readonly decoders: Partial<Record<Direction, StreamDecoder>> = {};

  constructor(client: Socket, private readonly options: ProxySessionOptions) {
    const out = options.sink;
    const id = options.info.id;
    this.model = new SessionModel(id, {
      frame: (frame) => out.handle({ type: 'frame', frame }),
      finding: (finding, timeUs) => out.handle({ type: 'finding', session: id, timeUs, finding }),
    }, options.annotators, options.limits);
    const layers = options.layers ?? [];
    if (layers.length > 0) {
      this.model.boundary = (frame) => {
        const layer = layers.find((l) => l.isBoundary(frame));
        if (!layer) return false;
        this.boundaryHit = { layer, frame };
        return true;
      };
    }
    out.handle({ type: 'session-open', session: options.info });
    this.attach('client', client);
    // The client may speak before the upstream is there: hold its bytes in the kernel until then.
    this.pause('client', 'upstream-connecting');
  }

  get id(): number {
    return this.options.info.id;
  }

  get info(): SessionInfo {
    return this.options.info;
  }

  /** The socket of one side (after STARTTLS, the TLS socket). */
  socket(direction: Direction): Socket | undefined {
    return this.sockets[direction];
  }

  /** The upstream connection is up: start forwarding. */
  upstreamConnected(server: Socket): void {
    this.attach('server', server);
    this.resume('client', 'upstream-connecting');
  }

  /**
   * The upstream connection failed: tell the client in IMAP (an untagged BYE, which every client
   * understands) and close. The BYE is the proxy's own, and recorded as such. TLS interception
   * passes its own finding code (a rejected certificate) and the side that failed.
   */
  upstreamFailed(message: string, finding: Pick<Finding, 'code' | 'rfc'> = { code: 'upstream-unreachable', rfc: 'RFC 3501 7.1.5' },
    side: Direction = 'server'): void {
    const client = this.sockets.client;
    this.end ??= { by: 'error', side, message };
    this.options.sink.handle({ type: 'finding', session: this.id, timeUs: nowUs(),
      finding: { level: 'error', ...finding, message: client && !client.destroyed ? `imapdbg sent * BYE: ${message}` : message } });
    // Destroy once the BYE is flushed: the paused, half-open client socket would otherwise linger.
    if (client && !client.destroyed) client.end(`* BYE [UNAVAILABLE] imapdbg: ${message}\r\n`, () => client.destroy());
    this.finish();
  }

  /**
   * Replace one side's socket (the TLS socket after a STARTTLS handshake). Reading resumes on the
   * new socket; the old one is left to its new owner.
   */
  replaceSocket(direction: Direction, socket: Socket): void {
    const old = this.sockets[direction];
    old?.removeAllListeners('data').removeAllListeners('end').removeAllListeners('error').removeAllListeners('close');
    this.attach(direction, socket);
  }

  /** Feed bytes read from one side (also used for bytes left over at a layer boundary). */
  receive(direction: Direction, chunk: Buffer): void {
    const decode = this.decoders[direction];
    if (decode) {
      const timeUs = nowUs();
      this.forward(direction, chunk, timeUs);
      decode.write(chunk, timeUs);
      return;
    }
    let rest = chunk;
    while (rest.length > 0) {
      const timeUs = nowUs();
      if (this.model.literalRemaining(direction) > rest.length) {
        // Wholly inside a literal body: no frame can complete here, so no layer can change at
        // this chunk. Forward first; counting and digesting the body can wait.
        this.forward(direction, rest, timeUs);
        this.model.push(direction, rest, timeUs);
        return;
      }
      // Frame first (synchronous and cheap) so a layer boundary is known to the byte, forward what
      // lies before it, and only then annotate and publish (lint, headless, capture).
      const consumed = this.model.frameOnly(direction, rest, timeUs);
      const part = consumed === rest.length ? rest : rest.subarray(0, consumed);
      this.forward(direction, part, timeUs);
      this.model.publish();
      rest = rest.subarray(consumed);
      // The model stopped at a boundary frame: let that layer take the rest. The boundary frame
      // often ends the chunk exactly (`A1 OK Begin TLS\r\n` alone), so the rest may be empty.
      const hit = this.boundaryHit;
      this.boundaryHit = undefined;
      if (hit && hit.layer.handle(this, hit.frame, direction, rest)) return;
    }
  }

  /**
   * From now on hand one direction's bytes to `decode` instead of the model (COMPRESS=DEFLATE, see
   * compress-layer.ts): they are still forwarded and recorded exactly as read, and the decoder
   * gives the model the decoded copy through `receiveDecoded`.
   */
  decodeWith(direction: Direction, decode: StreamDecoder): void {
    this.decoders[direction] = decode;
  }

  /** Bytes a decoder recovered from the wire: recorded as the `inflated` layer, then framed. */
  receiveDecoded(direction: Direction, bytes: Buffer, timeUs: number): void {
    this.options.sink.handle({ type: 'data', session: this.id, direction, timeUs, bytes, layer: 'inflated' });
    let rest = bytes;
    // No layer goes on top of COMPRESS, so a boundary frame in the decoded stream changes nothing.
    while (rest.length > 0) {
      const consumed = this.model.push(direction, rest, timeUs);
      this.boundaryHit = undefined;
      if (consumed === 0) return;
      rest = rest.subarray(consumed);
    }
  }

  /** A finding about the session that no frame carries (a layer that failed). */
  reportFinding(finding: Finding, timeUs: number): void {
    this.options.sink.handle({ type: 'finding', session: this.id, timeUs, finding });
  }

  /** Close both sides now (proxy shutdown). */
  shutdown(): void {
    this.end ??= { by: 'proxy-shutdown' };
    for (const d of ['client', 'server'] as const) this.sockets[d]?.destroy();
    this.finish();
  }

  /** Pause reading one side for a reason; it resumes when every reason is gone. */
  pause(direction: Direction, reason: string): void {
    this.pausedFor[direction].add(reason);
    this.sockets[direction]?.pause();
  }

  resume(direction: Direction, reason: string): void {
    const reasons = this.pausedFor[direction];
    reasons.delete(reason);
    if (reasons.size === 0) this.sockets[direction]?.resume();
  }

  private attach(direction: Direction, socket: Socket): void {
    this.sockets[direction] = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    if (this.pausedFor[direction].size > 0) socket.pause();
    socket.on('data', (chunk: Buffer) => this.receive(direction, chunk));
    socket.on('end', () => this.onEnd(direction));
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(direction, err));
    socket.on('close', () => this.onSocketClose(direction));
  }

  private forward(direction: Direction, part: Buffer, timeUs: number): void {
    if (part.length === 0) return;
    const target = this.sockets[other(direction)];
    if (!target || target.destroyed || target.writableEnded) {
      // The other side is gone: these bytes reach nobody, so they are not recorded as forwarded
      // (the raw export must equal what the peer saw), only reported.
      this.reportFinding({ level: 'warning', code: 'bytes-not-delivered', rfc: 'RFC 3501 2.1',
        message: `${part.length} bytes from the ${direction} were not delivered: the ${other(direction)} side is already closed` }, timeUs);
      return;
    }
    this.bytes[direction] += part.length;
    // Several writes may return false before one 'drain': one pause and one listener are enough.
    if (!target.write(part) && !this.pausedFor[direction].has('peer-backpressure')) {
      this.pause(direction, 'peer-backpressure');
      target.once('drain', () => this.resume(direction, 'peer-backpressure'));
    }
    // Recorded after the write: the capture never stands between a byte and its peer.
    this.options.sink.handle({ type: 'data', session: this.id, direction, timeUs, bytes: part, layer: 'wire' });
    const flow = this.options.flow;
    if (flow?.congested && !this.pausedFor[direction].has('capture-backpressure')) {
      this.pause(direction, 'capture-backpressure');
      void flow.whenDrained().then(() => this.resume(direction, 'capture-backpressure'));
    }
  }


  private onEnd(direction: Direction): void {
    this.decoders[direction]?.flush();
    this.ended[direction] = true;
    this.model.endDirection(direction, nowUs());
    this.end ??= { by: direction === 'client' ? 'client-closed' : 'server-closed' };
    // Half-close the other side the same way; end() flushes what is already queued first.
    const target = this.sockets[other(direction)];
    if (target && !target.destroyed) target.end();
  }

  private onError(direction: Direction, err: NodeJS.ErrnoException): void {
    this.end ??= { by: 'error', side: direction, message: err.code ? `${err.code}: ${err.message}` : err.message };
    const target = this.sockets[other(direction)];
    if (!target || target.destroyed) return;
    // Mirror a reset as a reset, but only after what was read from the failing side is delivered.
    // A TLS socket's handle is not a TCP handle and resetAndDestroy() throws on it: destroy it.
    const reset = (): void => {
      if (target.destroyed) return;
      if (target instanceof TLSSocket) target.destroy();
      else target.resetAndDestroy();
    };
    if (target.writableLength > 0) target.once('drain', reset);
    else reset();
  }

  private onSocketClose(direction: Direction): void {
    if (!this.ended[direction]) {
      this.decoders[direction]?.flush();
      this.ended[direction] = true;
      this.model.endDirection(direction, nowUs());
    }
    const target = this.sockets[other(direction)];
    if (!target || target.destroyed || target.closed) this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const d of ['client', 'server'] as const) this.decoders[d]?.flush();
    const timeUs = nowUs();
    for (const d of ['client', 'server'] as const) {
      if (!this.ended[d]) {
        this.ended[d] = true;
        this.model.endDirection(d, timeUs);
      }
    }
    this.model.end(timeUs);
    this.options.sink.handle({
      type: 'session-close', session: this.id, timeUs, end: this.end ?? { by: 'proxy-shutdown' },
      bytes: { ...this.bytes }, frames: this.model.frameCount,
    });
    this.options.onClosed?.();
  }
}
