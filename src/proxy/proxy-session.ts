import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Direction, Finding, Frame } from '../imap/frame';
import type { EventSink, SessionEnd, SessionInfo } from '../imap/events';
import { SessionModel, type FrameAnnotator } from '../imap/session-model';
import type { FramerLimits } from '../imap/direction-framer';
import type { FrameStage } from '../lab/frame-stage';
import { finding as catalogFinding, type RuleCode } from '../imap/lint/rule-catalog';
import { nowUs } from './clock';
import { errorLine, oneLine } from './error-line';
import { FrameGate, type GateHost } from './frame-gate';
import { DEFAULT_INFLATE_BOUNDS, SessionInflation, type InflateBounds } from './compress-layer';
import type { LayerCommand, SessionLayer } from './session-layer';
import { lentReadsOf, type LentChunkFate } from './lent-reads';

/** Something that can ask the proxy to stop reading for a while (the capture writer when the disk lags). */
export interface FlowControl {
  readonly congested: boolean;
  whenDrained(): Promise<void>;
}

/** Carries out the TLS upgrades that the STARTTLS layers ask for (TlsInterception). Never throws: a failure ends the session. */
export interface TlsUpgrader {
  prepare(): void;
  afterStartTls(session: ProxySession, serverRest: Buffer, clientHeld: Buffer): void;
  upstreamStartTls(session: ProxySession, serverRest: Buffer): void;
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
  /**
   * Stages that may change the conversation (rules, scripts, intercept). With none, every byte is
   * forwarded the moment it is read; with some, each frame is held until it is complete (up to
   * GATE_FRAME_LIMIT) and a FrameGate carries out what the stages decide.
   */
  stages?: FrameStage[];
  /** Who carries out the STARTTLS layers' upgrades (absent: no TLS interception configured). */
  tls?: TlsUpgrader;
  /** Bounds on the inflated copy under COMPRESS. */
  inflateBounds?: InflateBounds;
  /** Called once when the session is over and every socket it owned has closed. */
  onClosed?: () => void;
}

const other = (d: Direction): Direction => (d === 'client' ? 'server' : 'client');

/**
 * How long a peer may take to read imapdbg's last bytes (its own `* BYE`, or what is queued before
 * a reset is mirrored) before its socket is destroyed anyway: a peer that never reads must not
 * hold a session open.
 */
export const CLOSE_GRACE_MS = 5_000;

/**
 * One client connection and its upstream connection. Every chunk is framed (synchronously, so the
 * proxy knows STARTTLS and COMPRESS boundaries to the byte), recorded and forwarded at once;
 * nothing waits for a frame to complete. Backpressure is the only thing that pauses a reader:
 * a peer that cannot take bytes as fast, or a capture file that lags behind.
 * When one side closes or resets, the other side is closed the same way after every byte already
 * read is delivered.
 *
 * The session owns every socket made for it (`adopt`): the client's, a pending upstream connection,
 * a plain socket under TLS, a TLS socket still in its handshake. Each owned socket has an 'error'
 * listener for its whole life, and all are destroyed when the session ends, whatever the path
 * (handshake failure, a peer that leaves or resets in any phase, proxy shutdown). `onClosed` comes
 * once the last of them has closed.
 */
export class ProxySession {
  readonly model: SessionModel;
  private readonly sockets: Record<Direction, Socket | undefined> = { client: undefined, server: undefined };
  /** Every socket that has carried a side, oldest first (a plain socket, then the TLS socket on it). */
  private readonly stacks: Record<Direction, Socket[]> = { client: [], server: [] };
  /** Removes the session's listeners from a side's current socket (see `detach`). */
  private readonly detachers: Partial<Record<Direction, () => void>> = {};
  /** Every socket this session must release, attached or not. */
  private readonly owned = new Set<Socket>();
  /** Owned sockets allowed to finish writing after the session ended (the client being told BYE). */
  private readonly lingering = new Set<Socket>();
  /** The last error of each owned socket, for one that fails before it is attached. */
  private readonly errors = new WeakMap<Socket, string>();
  private released = false;
  private readonly ended: Record<Direction, boolean> = { client: false, server: false };
  private readonly bytes = { client: 0, server: 0 };
  private readonly pausedFor: Record<Direction, Set<string>> = { client: new Set(), server: new Set() };
  private end: SessionEnd | undefined;
  private closed = false;
  private boundaryHit: { layer: SessionLayer; frame: Frame } | undefined;
  private readonly decoders: Partial<Record<Direction, StreamDecoder>> = {};
  /** Present when the session has stages: the executor of what they decide. */
  private readonly gate: FrameGate | undefined;
  /** Set when a write kept a reference to the chunk it was given (see receiveLent). */
  private chunkKept = false;

  constructor(client: Socket, private readonly options: ProxySessionOptions) {
    const out = options.sink;
    const id = options.info.id;
    this.model = new SessionModel(id, {
      frame: (frame) => {
        out.handle({ type: 'frame', frame });
        this.gate?.frame(frame);
      },
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
    const stages = options.stages ?? [];
    if (stages.length > 0) this.gate = new FrameGate(id, stages, this.gateHost());
    this.adopt(client);
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

  /** True once the session has ended (its `session-close` is out); whatever comes later is destroyed. */
  get over(): boolean {
    return this.closed;
  }

  /**
   * Take ownership of a socket made for this session, at once when it is created (a connect in
   * progress, a TLS socket before its handshake): it gets an 'error' listener for its whole life
   * and is destroyed when the session ends. Returns false, and destroys it, when the session is
   * already over.
   */
  adopt(socket: Socket): boolean {
    if (!this.owned.has(socket) && !socket.closed) {
      this.owned.add(socket);
      socket.on('error', (err: Error) => { this.errors.set(socket, errorLine(err)); });
      socket.once('close', () => this.disown(socket));
    }
    if (!this.closed || this.lingering.has(socket)) return true;
    socket.destroy();
    return false;
  }

  /**
   * Remove the session's own listeners from one side's socket, so that a new owner (TLS) can read
   * it. Listeners of others stay: TLS's on its parent socket, the 'error' listener of `adopt`.
   * The socket stays owned, and stays the side's socket until `replaceSocket`.
   */
  detach(direction: Direction): Socket | undefined {
    this.detachers[direction]?.();
    this.detachers[direction] = undefined;
    return this.sockets[direction];
  }

  /** The upstream connection is up: start forwarding. */
  upstreamConnected(server: Socket): void {
    if (!this.adopt(server)) return;
    if (server.destroyed) {
      // It failed while the client leg was being set up (a reset during the client's handshake).
      this.upstreamFailed(`the server connection failed before the session started: ${this.errors.get(server) ?? 'closed'}`);
      return;
    }
    this.attach('server', server);
    this.resume('client', 'upstream-connecting');
  }

  /**
   * The upstream connection failed: tell the client in IMAP (an untagged BYE, which every client
   * understands) and close. The BYE is the proxy's own, and recorded as such. TLS interception
   * passes its own finding code (a rejected certificate) and the side that failed.
   */
  upstreamFailed(text: string, code: RuleCode = 'upstream-unreachable', side: Direction | 'proxy' = 'server'): void {
    if (this.closed) return;
    const message = oneLine(text);
    const client = this.sockets.client;
    const tell = client !== undefined && !client.destroyed && client.writable;
    this.end ??= { by: 'error', side, message };
    this.options.sink.handle({ type: 'finding', session: this.id, timeUs: nowUs(),
      finding: catalogFinding(code, tell ? `imapdbg sent * BYE: ${message}` : message) });
    if (tell) {
      // Destroyed once the BYE is flushed (the paused, half-open client socket would otherwise
      // stay), or after a grace period when the client does not read it.
      for (const s of this.stacks.client) this.lingering.add(s);
      client.end(`* BYE [UNAVAILABLE] imapdbg: ${message}\r\n`, () => client.destroy());
      destroyAfterGrace(client);
    }
    this.finish();
  }

  /**
   * Replace one side's socket (the TLS socket after a STARTTLS handshake). Reading resumes on the
   * new socket; the old one is left to its new owner.
   */
  replaceSocket(direction: Direction, socket: Socket): void {
    this.detach(direction);
    if (!this.adopt(socket)) return;
    this.attach(direction, socket);
  }

  /** Feed bytes read from one side (also used for bytes left over at a layer boundary). */
  receive(direction: Direction, chunk: Buffer): void {
    if (this.closed) return;
    const decode = this.decoders[direction];
    if (decode) {
      const timeUs = nowUs();
      if (this.gate) {
        this.recordRead(direction, chunk, timeUs);
        this.gate.passThrough(direction, chunk);
      } else {
        this.forward(direction, chunk, timeUs);
      }
      decode.write(chunk, timeUs);
      return;
    }
    if (this.gate) { this.receiveGated(this.gate, direction, chunk); return; }
    let rest = chunk;
    while (rest.length > 0) {
      const timeUs = nowUs();
      if (this.model.literalRemaining(direction) > rest.length) {
        // Wholly inside a literal body: no frame can complete here, so no layer can change at
        // this chunk. Forward first; counting and digesting the body can wait.
        this.forward(direction, rest, timeUs, true);
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
      if (hit && this.atBoundary(hit, direction, rest)) return;
    }
  }

  /**
   * A chunk the socket lent (lent-reads.ts): valid only during this call, so whatever keeps bytes
   * (a gate, a decoder, a layer at its boundary) gets a copy; the rest is forwarded from the lent
   * buffer itself, and the socket is told when a write kept it.
   */
  private receiveLent(direction: Direction, chunk: Buffer): LentChunkFate {
    if (this.gate || this.decoders[direction]) {
      this.receive(direction, Buffer.from(chunk));
      return 'released';
    }
    this.chunkKept = false;
    this.receive(direction, chunk);
    return this.chunkKept ? 'kept' : 'released';
  }

  /** A layer's boundary frame: let it decide, carry out its commands; true when it took `rest`. */
  private atBoundary(hit: { layer: SessionLayer; frame: Frame }, direction: Direction, rest: Buffer): boolean {
    // A copy: the layer may keep the rest across a handshake, and the chunk may be lent.
    const decision = hit.layer.atBoundary(hit.frame, direction, Buffer.from(rest));
    for (const command of decision.commands) this.execute(command);
    return decision.consumed;
  }

  private execute(command: LayerCommand): void {
    switch (command.kind) {
      case 'pause': this.pause(command.direction, command.reason); return;
      case 'resume': this.resume(command.direction, command.reason); return;
      case 'receive': this.receive(command.direction, command.bytes); return;
      case 'prepare-tls': this.options.tls?.prepare(); return;
      case 'starttls': this.options.tls?.afterStartTls(this, command.serverRest, command.clientHeld); return;
      case 'upstream-starttls': this.options.tls?.upstreamStartTls(this, command.serverRest); return;
      case 'inflate': {
        const inflation = new SessionInflation(this, this.options.inflateBounds ?? DEFAULT_INFLATE_BOUNDS);
        for (const d of ['client', 'server'] as const) this.decodeWith(d, inflation.decoder(d));
        return;
      }
      case 'fail':
        this.upstreamFailed(command.message, command.code);
        return;
      default: {
        const never: never = command;
        return never;
      }
    }
  }

  /**
   * The same as `receive` for a session with stages: the bytes are recorded as read, framed, and
   * handed to the gate, which forwards each frame once it is complete and its stages have spoken.
   */
  private receiveGated(gate: FrameGate, direction: Direction, chunk: Buffer): void {
    let rest = chunk;
    while (rest.length > 0) {
      const timeUs = nowUs();
      const consumed = this.model.frameOnly(direction, rest, timeUs);
      const part = consumed === rest.length ? rest : rest.subarray(0, consumed);
      this.recordRead(direction, part, timeUs);
      gate.take(direction, part);
      this.model.publish();
      rest = rest.subarray(consumed);
      const hit = this.boundaryHit;
      this.boundaryHit = undefined;
      if (hit) {
        // The layer changes the byte stream right after this frame: what is queued goes out first.
        gate.flushForBoundary(direction);
        if (this.atBoundary(hit, direction, rest)) return;
      }
    }
    gate.afterChunk(direction);
  }

  /**
   * From now on hand one direction's bytes to `decode` instead of the model (COMPRESS=DEFLATE, see
   * compress-layer.ts): they are still forwarded and recorded exactly as read, and the decoder
   * gives the model the decoded copy through `receiveDecoded`.
   */
  decodeWith(direction: Direction, decode: StreamDecoder): void {
    this.decoders[direction] = decode;
    this.gate?.flushPending(direction);
    this.gate?.compressStarted();
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
    this.lingering.clear();
    this.finish();
    // A session that ended before may still have a client reading its BYE.
    for (const s of [...this.owned]) s.destroy();
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
    this.stacks[direction].push(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    if (this.pausedFor[direction].size > 0) socket.pause();
    const onData = (chunk: Buffer): void => this.receive(direction, chunk);
    const onEnd = (): void => this.onEnd(direction);
    const onError = (err: NodeJS.ErrnoException): void => this.onError(direction, err);
    const onClose = (): void => this.onSocketClose(direction);
    socket.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
    const lent = lentReadsOf(socket);
    this.detachers[direction] = () => {
      lent?.withdraw();
      socket.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    // A socket that reads into a lent buffer calls back instead of emitting 'data'.
    if (lent?.lendTo((chunk) => this.receiveLent(direction, chunk), onData) && this.pausedFor[direction].size === 0) socket.resume();
    if (this.gate) this.gate.pumpAll();
    if (socket.destroyed) {
      // It failed while it was set up (a reset during the other side's handshake): its 'error' and
      // 'close' are gone, so act on them now.
      const failed = new Error(this.errors.get(socket) ?? `the ${direction} connection closed during the setup`);
      queueMicrotask(() => { this.onError(direction, failed); if (socket.closed) onClose(); });
    } else if (!this.gate && this.ended[other(direction)] && !socket.writableEnded) {
      // (With a gate, the FIN waits in the gate's queue behind the bytes still due.)
      // The other side sent its FIN while this one was not attached (connecting, in a handshake).
      socket.end();
    }
  }

  private forward(direction: Direction, part: Buffer, timeUs: number, insideLiteral = false): void {
    if (part.length === 0 || !this.write(direction, part, timeUs)) return;
    this.bytes[direction] += part.length;
    // Recorded after the write: the capture never stands between a byte and its peer.
    this.options.sink.handle({ type: 'data', session: this.id, direction, timeUs, bytes: part, layer: 'wire', insideLiteral });
    this.checkCapture(direction);
  }

  /** Write one direction's bytes to the other peer; false (and a finding) when it is gone. */
  private write(direction: Direction, part: Buffer, timeUs: number): boolean {
    const target = this.sockets[other(direction)];
    if (!target || target.destroyed || target.writableEnded) {
      // The other side is gone: these bytes reach nobody, so they are not recorded as forwarded
      // (the raw export must equal what the peer saw), only reported.
      this.reportFinding(catalogFinding('bytes-not-delivered',
        `${part.length} bytes from the ${direction} were not delivered: the ${other(direction)} side is already closed`), timeUs);
      return false;
    }
    const queued = target.writableLength;
    const accepted = target.write(part);
    // Not written at once: the socket keeps `part` until it is (a lent chunk must then be given up).
    if (target.writableLength > queued) this.chunkKept = true;
    // Several writes may return false before one 'drain': one pause and one listener are enough.
    if (!accepted && !this.pausedFor[direction].has('peer-backpressure')) {
      this.pause(direction, 'peer-backpressure');
      target.once('drain', () => {
        // Drained: every write that kept a lent chunk is done, so its buffer may be read into again.
        const source = this.sockets[direction];
        if (source && target.writableLength === 0) lentReadsOf(source)?.writesDone();
        this.resume(direction, 'peer-backpressure');
      });
    }
    return true;
  }

  /** Bytes a peer sent, in a session with stages: recorded as read (what the frames describe). */
  private recordRead(direction: Direction, part: Buffer, timeUs: number): void {
    if (part.length === 0) return;
    this.bytes[direction] += part.length;
    this.options.sink.handle({ type: 'data', session: this.id, direction, timeUs, bytes: part, layer: 'wire' });
    this.checkCapture(direction);
  }

  /** What the gate needs: writing, closing and pausing the session's sockets, and recording. */
  private gateHost(): GateHost {
    return {
      canDeliver: (direction) => this.detachers[other(direction)] !== undefined,
      deliver: (direction, bytes) => {
        const timeUs = nowUs();
        if (!this.write(direction, bytes, timeUs)) return;
        this.options.sink.handle({ type: 'data', session: this.id, direction, timeUs, bytes, layer: 'delivered' });
      },
      endSide: (side) => {
        const s = this.sockets[side];
        if (s && !s.destroyed && !s.writableEnded) s.end();
      },
      resetSide: (side) => {
        const s = this.sockets[side];
        this.end ??= { by: 'error', side: 'proxy', message: `imapdbg reset the ${side} side (a rule asked)` };
        if (s && !s.destroyed) resetSocket(s);
      },
      pause: (direction, reason) => this.pause(direction, reason),
      resume: (direction, reason) => this.resume(direction, reason),
      intervention: (intervention) => this.options.sink.handle({ type: 'intervention', session: this.id, timeUs: nowUs(), intervention }),
      forgetCommand: (tag) => this.model.forgetCommand(tag),
      finding: (f) => this.reportFinding(f, nowUs()),
    };
  }

  /** The capture lags behind: stop reading this direction until it catches up. */
  private checkCapture(direction: Direction): void {
    const flow = this.options.flow;
    if (flow?.congested && !this.pausedFor[direction].has('capture-backpressure')) {
      this.pause(direction, 'capture-backpressure');
      void flow.whenDrained().then(() => this.resume(direction, 'capture-backpressure'));
    }
  }


  private onEnd(direction: Direction): void {
    if (this.ended[direction]) return;
    this.decoders[direction]?.flush();
    this.ended[direction] = true;
    this.model.endDirection(direction, nowUs());
    this.end ??= { by: direction === 'client' ? 'client-closed' : 'server-closed' };
    if (this.gate) { this.gate.endDirection(direction); return; }
    // Half-close the other side the same way; end() flushes what is already queued first. A side
    // not attached (still connecting, or in a TLS handshake) gets it when it is attached.
    const target = this.detachers[other(direction)] ? this.sockets[other(direction)] : undefined;
    if (target && !target.destroyed && !target.writableEnded) target.end();
  }

  private onError(direction: Direction, err: NodeJS.ErrnoException): void {
    this.end ??= { by: 'error', side: direction, message: errorLine(err) };
    // A black hole forgot the connection: the other peer hears nothing of this one's reset.
    if (this.gate?.isBlackholed) return;
    const target = this.sockets[other(direction)];
    if (!target || target.destroyed) return;
    // Mirror a reset as a reset, but only after what was read from the failing side is delivered
    // (within a grace period: a peer that does not read must not hold the session).
    const reset = (): void => {
      if (!target.destroyed) resetSocket(target);
    };
    if (target.writableLength > 0) {
      target.once('drain', reset);
      destroyAfterGrace(target);
    } else {
      reset();
    }
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
    this.gate?.close();
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
    // Release every socket the session owns, whatever phase it ended in; only a client still being
    // told BYE keeps its socket (bounded by CLOSE_GRACE_MS).
    for (const s of [...this.owned]) if (!this.lingering.has(s)) s.destroy();
    this.releaseIfDone();
  }

  private disown(socket: Socket): void {
    this.owned.delete(socket);
    this.lingering.delete(socket);
    this.releaseIfDone();
  }

  private releaseIfDone(): void {
    if (!this.closed || this.released || this.owned.size > 0) return;
    this.released = true;
    this.options.onClosed?.();
  }
}

/**
 * Reset a socket (RST), or destroy it where a reset is impossible: a TLS socket's handle is not a
 * TCP handle, and resetAndDestroy() throws on it.
 */
function resetSocket(socket: Socket): void {
  if (socket instanceof TLSSocket) { socket.destroy(); return; }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Destroy a socket that is still open after CLOSE_GRACE_MS. */
function destroyAfterGrace(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  socket.once('close', () => clearTimeout(timer));
}
