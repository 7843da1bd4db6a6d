import type { Direction, Frame } from '../imap/frame';
import { isCompressBoundary } from '../imap/compress-tracker';
import { finding } from '../imap/lint/rule-catalog';
import { nowUs } from './clock';
import type { ProxySession, StreamDecoder } from './proxy-session';
import type { LayerDecision, SessionLayer } from './session-layer';
import { InflateError, RawInflater } from './raw-inflater';

/**
 * How much work the inflated copy of a COMPRESS stream may cost. DEFLATE expands up to 1032:1, so
 * 1 MB on the wire can be 1 GiB inflated: a bomb that would fill the capture and hold the event
 * loop (every other session's forwarding) for seconds.
 */
export interface InflateBounds {
  /** Inflated bytes a direction may always produce, whatever its ratio. */
  floorBytes: number;
  /** Beyond the floor, inflated bytes allowed per wire byte of the same direction. */
  ratio: number;
  /** Inflated bytes per event-loop turn (per session); then the session yields and reading pauses. */
  sliceBytes: number;
}

/**
 * 16 MiB, then 100:1. Real IMAP traffic deflates 3-10:1 (text) or ~1.3:1 (base64 attachments),
 * so only a stream that is mostly repetition (a bomb) meets the bound; a 1 MB -> 1 GiB bomb stops
 * after about 17 MiB inflated. Slices of 1 MiB cost a few ms of CPU each.
 */
export const DEFAULT_INFLATE_BOUNDS: InflateBounds = { floorBytes: 16 * 1024 * 1024, ratio: 100, sliceBytes: 1024 * 1024 };

/**
 * COMPRESS=DEFLATE (RFC 4978), live. After the server's tagged OK to `COMPRESS DEFLATE` both
 * directions carry raw DEFLATE: the proxy keeps forwarding (and recording, as `wire` data) the
 * compressed bytes unchanged, and inflates a copy of each direction for the session model, recorded
 * as `inflated` data, so the frames stay readable. The client's direction switches at the same
 * point: a client must not send anything between COMPRESS and its tagged response, and compresses
 * everything after it.
 *
 * A stream that fails to inflate, or whose inflated copy outgrows its bound (see InflateBounds), is
 * reported once; its bytes are still forwarded and recorded, only no longer framed.
 */
export class CompressLayer implements SessionLayer {
  private active = false;

  isBoundary(frame: Frame): boolean {
    return !this.active && isCompressBoundary(frame);
  }

  atBoundary(_frame: Frame, direction: Direction, rest: Buffer): LayerDecision {
    this.active = true;
    // The rest of the chunk that carried the OK is already compressed (the server's first DEFLATE bytes).
    return { consumed: true, commands: [{ kind: 'inflate' }, ...(rest.length > 0 ? [{ kind: 'receive', direction, bytes: rest } as const] : [])] };
  }
}

interface DirectionState {
  readonly inflater: RawInflater;
  /** Wire bytes of this direction since COMPRESS. */
  wire: number;
  /** Inflated bytes handed to the model. */
  delivered: number;
  /** Failed or over its bound: nothing more is inflated. */
  stopped: boolean;
  /** The read time of the chunk being inflated, for the inflated bytes it yields. */
  timeUs: number;
}

interface QueuedChunk {
  direction: Direction;
  chunk: Buffer;
  timeUs: number;
  fed: boolean;
}

/**
 * Both directions' inflaters of one session, and one queue of wire chunks across them so inflated
 * frames keep the order in which their bytes were read. A chunk is inflated at once when nothing
 * waits (the common case, synchronous as before); a chunk that yields more than a slice leaves the
 * rest for the next event-loop turns, and the session stops reading both sides until the queue is
 * empty (bytes already read were forwarded before they were queued).
 */
export class SessionInflation {
  private readonly dirs: Record<Direction, DirectionState>;
  private readonly queue: QueuedChunk[] = [];
  private scheduled = false;
  private paused = false;

  constructor(private readonly session: ProxySession, private readonly bounds: InflateBounds) {
    const state = (d: Direction): DirectionState => {
      const s: DirectionState = { inflater: new RawInflater((bytes) => this.deliver(d, s, bytes)), wire: 0, delivered: 0, stopped: false, timeUs: 0 };
      return s;
    };
    this.dirs = { client: state('client'), server: state('server') };
  }

  decoder(direction: Direction): StreamDecoder {
    return {
      write: (chunk, timeUs) => this.write(direction, chunk, timeUs),
      flush: () => this.inflateQueued(Infinity),
    };
  }

  private write(direction: Direction, chunk: Buffer, timeUs: number): void {
    const s = this.dirs[direction];
    s.wire += chunk.length;
    if (s.stopped) return;
    this.queue.push({ direction, chunk, timeUs, fed: false });
    if (this.queue.length === 1) this.inflateQueued(this.bounds.sliceBytes);
    if (this.queue.length > 0) this.yieldTurn();
  }

  /** Inflate queued chunks in order until the queue is empty or `budget` inflated bytes came out. */
  private inflateQueued(budget: number): void {
    let left = budget;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const s = this.dirs[head.direction];
      if (s.stopped) {
        this.queue.shift();
        continue;
      }
      const before = s.inflater.inflated;
      let done: boolean;
      try {
        if (!head.fed) s.inflater.feed(head.chunk);
        head.fed = true;
        s.timeUs = head.timeUs;
        // One byte past the bound tells "over the bound" from "exactly at it".
        done = s.inflater.inflate(Math.min(left, this.allowance(s) - s.delivered + 1));
      } catch (err) {
        this.fail(head.direction, s, err);
        continue;
      }
      left -= s.inflater.inflated - before;
      if (!done && !s.stopped) return;
      if (done) this.queue.shift();
      if (left <= 0) return;
    }
    if (this.paused) {
      this.paused = false;
      for (const d of ['client', 'server'] as const) this.session.resume(d, 'inflating');
    }
  }

  /** Leave the queue for the next event-loop turn; stop reading meanwhile so it cannot grow. */
  private yieldTurn(): void {
    if (!this.paused) {
      this.paused = true;
      for (const d of ['client', 'server'] as const) this.session.pause(d, 'inflating');
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inflateQueued(this.bounds.sliceBytes);
      if (this.queue.length > 0) this.yieldTurn();
    });
  }

  private allowance(s: DirectionState): number {
    return this.bounds.floorBytes + this.bounds.ratio * s.wire;
  }

  /** Inflated bytes to the model, cut at the bound; crossing it stops the direction with a finding. */
  private deliver(direction: Direction, s: DirectionState, bytes: Buffer): void {
    if (s.stopped) return;
    const room = this.allowance(s) - s.delivered;
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (part.length > 0) {
      s.delivered += part.length;
      this.session.receiveDecoded(direction, part, s.timeUs);
    }
    if (bytes.length > room) {
      s.stopped = true;
      const ratio = Math.round(s.inflater.inflated / Math.max(1, s.wire));
      this.session.reportFinding(finding('compress-inflate-limit',
        `the ${direction}'s inflated copy stopped after ${s.delivered} bytes from ${s.wire} wire bytes (over ${ratio}:1; the bound is ${this.bounds.floorBytes} bytes plus ${this.bounds.ratio} per wire byte): a likely DEFLATE bomb; its bytes are still forwarded and recorded, no longer framed`), nowUs());
    }
  }

  private fail(direction: Direction, s: DirectionState, err: unknown): void {
    this.queue.shift();
    if (s.stopped) return;
    s.stopped = true;
    const why = err instanceof InflateError ? err.message : String(err);
    this.session.reportFinding(finding('compress-inflate-failed',
      `the ${direction}'s DEFLATE stream does not inflate after ${s.inflater.inflated} bytes (${why}); its bytes are still forwarded, no longer framed`), nowUs());
  }
}
