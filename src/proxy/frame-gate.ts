import type { Direction, Finding, Frame } from '../imap/frame';
import { frameText } from '../imap/frame-text';
import { changeSourceLabel, type ChangeAction, type ChangeSource, type Intervention } from '../imap/intervention';
import { finding } from '../imap/lint/rule-catalog';
import { oneLine } from './error-line';
import type { FrameStage, FrameVerdict, SessionCommand, StageContext } from '../lab/frame-stage';

/**
 * The largest frame a gated direction holds back for its stages. A larger one (a big literal, a
 * line without CRLF) is forwarded as it comes, unchanged, so memory stays bounded.
 */
export const GATE_FRAME_LIMIT = 1024 * 1024;
/** Bytes waiting in one direction's queue (delayed, paced, held) before that direction stops being read. */
export const GATE_QUEUE_LIMIT = 8 * 1024 * 1024;

/** What the gate needs from its session: the executor's hands. */
export interface GateHost {
  /** Can bytes of `direction`'s stream be written to the other peer now (is it attached)? */
  canDeliver(direction: Direction): boolean;
  /** Write bytes of `direction`'s stream to the other peer (and record them as delivered). */
  deliver(direction: Direction, bytes: Buffer): void;
  /** Send a FIN to one side once what is queued for it is written. */
  endSide(side: Direction): void;
  /** Reset one side now. */
  resetSide(side: Direction): void;
  pause(direction: Direction, reason: string): void;
  resume(direction: Direction, reason: string): void;
  intervention(intervention: Intervention): void;
  finding(finding: Finding): void;
}

type QueueItem =
  | { kind: 'bytes'; bytes: Buffer; notBeforeMs?: number; sliceBytes?: number; bytesPerSecond?: number }
  | { kind: 'held'; bytes: Buffer; frame: Frame; until: Promise<FrameVerdict>; source: ChangeSource; verdict?: FrameVerdict }
  | { kind: 'end' };

interface DirectionGate {
  /** Bytes read and not yet given to a frame (or forwarded as a frame too large to hold). */
  pending: Buffer[];
  pendingBytes: number;
  /** Bytes of the frame under way already forwarded because it outgrew GATE_FRAME_LIMIT. */
  streamed: number;
  /** Toward the other peer, in order. */
  queue: QueueItem[];
  queuedBytes: number;
  /** A timer or a held frame is what the queue waits for. */
  waiting: boolean;
  ended: boolean;
}

const other = (d: Direction): Direction => (d === 'client' ? 'server' : 'client');

/**
 * The executor of a session's stages (rules, scripts, intercept): it holds each gated frame's bytes
 * until the frame is complete, asks the stages what to do with it, and carries the answer out in
 * order per direction: forward, replace, drop, delay, pace, hold; inject, blackhole, reset, close.
 * Stages only return verdicts and commands; this is the one place that acts on them. A session
 * without stages has no gate and forwards every byte at once.
 */
export class FrameGate {
  private readonly dirs: Record<Direction, DirectionGate> = { client: newDirection(), server: newDirection() };
  private blackholed = false;
  private closed = false;
  private compressed = false;
  private idleTag: string | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly notHeldReported = new Set<Direction>();

  constructor(readonly session: number, private readonly stages: FrameStage[], private readonly host: GateHost,
    private readonly now: () => number = Date.now) {
    for (const stage of stages) stage.onSessionOpen?.(session, (commands) => this.run(commands));
  }

  /** Bytes of one direction the model has framed (or is framing): held until their frame completes. */
  take(direction: Direction, bytes: Buffer): void {
    if (bytes.length === 0 || this.closed) return;
    const d = this.dirs[direction];
    if (this.blackholed) return;
    d.pending.push(bytes);
    d.pendingBytes += bytes.length;
  }

  /** After a chunk: a frame under way that outgrew the limit goes on unheld. */
  afterChunk(direction: Direction): void {
    const d = this.dirs[direction];
    if (d.pendingBytes <= GATE_FRAME_LIMIT) return;
    if (!this.notHeldReported.has(direction)) {
      this.notHeldReported.add(direction);
      this.host.finding(finding('lab-frame-not-held',
        `a ${direction} frame passed ${GATE_FRAME_LIMIT} bytes: it is forwarded as it comes, unchanged by rules, scripts or intercept (reported once per direction)`));
    }
    d.streamed += d.pendingBytes;
    this.enqueue(direction, { kind: 'bytes', bytes: this.takePending(direction, d.pendingBytes) });
  }

  /** The model completed a frame: its bytes are the next `frame.length` pending bytes. */
  frame(frame: Frame): void {
    if (this.closed) return;
    const direction = frame.direction;
    const d = this.dirs[direction];
    const inIdle = this.trackIdle(frame);
    if (this.blackholed) return;
    if (d.streamed > 0) {
      // Its start already went out unchanged: the rest follows it the same way.
      const rest = Math.max(0, frame.length - d.streamed);
      d.streamed = 0;
      this.enqueue(direction, { kind: 'bytes', bytes: this.takePending(direction, rest) });
      return;
    }
    const bytes = this.takePending(direction, frame.length);
    if (this.compressed) { this.enqueue(direction, { kind: 'bytes', bytes }); return; }
    const context: StageContext = { session: this.session, inIdle, text: () => frameText(frame, { revealSecrets: false }) };
    let verdict: FrameVerdict = { kind: 'forward' };
    const commands: SessionCommand[] = [];
    for (const stage of this.stages) {
      try {
        const result = stage.onFrame(frame, bytes, context);
        if (verdict.kind === 'forward') verdict = result.verdict;
        if (result.commands) commands.push(...result.commands);
      } catch (err) {
        this.host.finding(finding('lab-stage-failed', `frame ${frame.seq}: ${oneLine(err instanceof Error ? err.message : String(err))}`));
      }
    }
    this.apply(frame, bytes, verdict);
    this.run(commands, frame);
  }

  /** Forward what is pending as it is (the direction ended, or a frame's bytes the model will not complete). */
  flushPending(direction: Direction): void {
    const d = this.dirs[direction];
    d.streamed = 0;
    if (d.pendingBytes > 0) this.enqueue(direction, { kind: 'bytes', bytes: this.takePending(direction, d.pendingBytes) });
  }

  /**
   * A STARTTLS or COMPRESS boundary: what is queued in that direction goes out now, delays cut
   * short and held frames forwarded, because the layer changes the byte stream right after it.
   */
  flushForBoundary(direction: Direction): void {
    const d = this.dirs[direction];
    for (const item of d.queue) {
      if (item.kind === 'bytes') { item.notBeforeMs = undefined; item.sliceBytes = undefined; item.bytesPerSecond = undefined; }
      if (item.kind === 'held' && item.verdict === undefined) item.verdict = { kind: 'forward' };
    }
    d.waiting = false;
    this.pump(direction);
  }

  /** COMPRESS began: from now on frames pass unchanged (only session commands still act). */
  compressStarted(): void {
    if (this.compressed) return;
    this.compressed = true;
    this.host.finding(finding('lab-after-compress', 'COMPRESS=DEFLATE is active: rules, scripts and intercept no longer change frames in this session'));
  }

  /** Raw bytes that are not framed here (a COMPRESS stream): forwarded unless in a black hole. */
  passThrough(direction: Direction, bytes: Buffer): void {
    if (this.blackholed || this.closed) return;
    this.enqueue(direction, { kind: 'bytes', bytes });
  }

  /** One side sent FIN: mirror it after what is queued (not in a black hole, which forgets the connection). */
  endDirection(direction: Direction): void {
    this.flushPending(direction);
    const d = this.dirs[direction];
    if (d.ended) return;
    d.ended = true;
    if (!this.blackholed) this.enqueue(direction, { kind: 'end' });
  }

  /** Resume delivery (the other side was attached, or drained). */
  pumpAll(): void {
    this.pump('client');
    this.pump('server');
  }

  get isBlackholed(): boolean {
    return this.blackholed;
  }

  /** The session ended: stop timers, tell the stages. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const stage of this.stages) {
      try { stage.onSessionClose?.(this.session); } catch { /* a stage's cleanup must not break the session's end */ }
    }
  }

  private trackIdle(frame: Frame): boolean {
    if (frame.direction === 'client' && frame.kind === 'command' && frame.verb === 'IDLE') this.idleTag = frame.tag;
    const inIdle = this.idleTag !== undefined;
    if (frame.direction === 'server' && frame.kind === 'tagged' && frame.tag === this.idleTag) this.idleTag = undefined;
    return inIdle;
  }

  private apply(frame: Frame, bytes: Buffer, verdict: FrameVerdict): void {
    const direction = frame.direction;
    const toward = other(direction);
    switch (verdict.kind) {
      case 'forward':
        this.enqueue(direction, { kind: 'bytes', bytes });
        return;
      case 'replace':
        this.record(verdict.action, verdict.source, toward, verdict.detail, { frameSeq: frame.seq, deliveredBytes: verdict.bytes.length });
        this.enqueue(direction, { kind: 'bytes', bytes: verdict.bytes });
        return;
      case 'drop':
        this.record('drop', verdict.source, toward, verdict.detail, { frameSeq: frame.seq });
        return;
      case 'delay':
        this.record('delay', verdict.source, toward, verdict.detail, { frameSeq: frame.seq, amount: verdict.ms });
        this.enqueue(direction, { kind: 'bytes', bytes, notBeforeMs: this.now() + verdict.ms });
        return;
      case 'pace':
        this.record(verdict.bytesPerSecond !== undefined ? 'throttle' : 'slice', verdict.source, toward, verdict.detail,
          { frameSeq: frame.seq, amount: verdict.bytesPerSecond ?? verdict.sliceBytes });
        this.enqueue(direction, { kind: 'bytes', bytes, sliceBytes: verdict.sliceBytes, bytesPerSecond: verdict.bytesPerSecond });
        return;
      case 'hold':
        this.record('hold', verdict.source, toward, verdict.detail, { frameSeq: frame.seq });
        this.enqueue(direction, { kind: 'held', bytes, frame, until: verdict.until, source: verdict.source });
        return;
      default: {
        const never: never = verdict;
        return never;
      }
    }
  }

  /** Carry out session commands, in order; `after` is the frame that triggered them. */
  private run(commands: SessionCommand[], after?: Frame): void {
    for (const c of commands) {
      if (this.closed) return;
      const frameSeq = after?.seq;
      switch (c.kind) {
        case 'inject': {
          if (this.blackholed) continue;
          if (this.compressed) {
            this.host.finding(finding('lab-after-compress', `not injected (${oneLine(c.detail)}): the stream is compressed`));
            continue;
          }
          // Bytes toward the client travel in the server's stream, after what is queued there.
          this.record('inject', c.source, c.toward, c.detail, { frameSeq, deliveredBytes: c.bytes.length });
          this.enqueue(other(c.toward), { kind: 'bytes', bytes: c.bytes });
          continue;
        }
        case 'blackhole':
          if (this.blackholed) continue;
          this.record('blackhole', c.source, 'client', c.detail, { frameSeq });
          this.blackholed = true;
          for (const d of ['client', 'server'] as const) {
            const g = this.dirs[d];
            g.queue = [];
            g.queuedBytes = 0;
            g.pending = [];
            g.pendingBytes = 0;
            g.streamed = 0;
            this.host.resume(d, 'rules-queue');
          }
          continue;
        case 'reset':
        case 'close': {
          const sides: Direction[] = c.side === 'both' ? ['client', 'server'] : [c.side];
          this.record(c.kind, c.source, c.side === 'both' ? 'client' : c.side, c.detail, { frameSeq });
          for (const side of sides) {
            if (c.kind === 'reset') this.host.resetSide(side);
            else this.enqueue(other(side), { kind: 'end' });
          }
          // The other side has no one left to talk to: it gets a FIN after what is queued for it.
          if (c.side !== 'both') this.enqueue(c.side, { kind: 'end' });
          continue;
        }
        case 'report':
          // Nothing to carry out (a script hook failed, its frame went on unchanged): only recorded.
          this.record(c.action, c.source, c.toward, c.detail, { frameSeq: c.frameSeq ?? frameSeq });
          continue;
        default: {
          const never: never = c;
          return never;
        }
      }
    }
  }

  private record(action: ChangeAction, source: ChangeSource, toward: Direction, detail: string,
    extra: Pick<Intervention, 'frameSeq' | 'amount' | 'deliveredBytes'>): void {
    this.host.intervention({ action, source, toward, ...extra, detail: oneLine(detail || changeSourceLabel(source)) });
  }

  private takePending(direction: Direction, count: number): Buffer {
    const d = this.dirs[direction];
    const n = Math.min(count, d.pendingBytes);
    if (n === 0) return Buffer.alloc(0);
    const first = d.pending[0];
    if (first.length === n) {
      d.pending.shift();
      d.pendingBytes -= n;
      return first;
    }
    if (first.length > n) {
      d.pending[0] = first.subarray(n);
      d.pendingBytes -= n;
      return first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = d.pending[0];
      if (head.length <= left) {
        parts.push(head);
        d.pending.shift();
        left -= head.length;
      } else {
        parts.push(head.subarray(0, left));
        d.pending[0] = head.subarray(left);
        left = 0;
      }
    }
    d.pendingBytes -= n;
    return Buffer.concat(parts, n);
  }

  private enqueue(direction: Direction, item: QueueItem): void {
    if (this.closed) return;
    const d = this.dirs[direction];
    if (item.kind !== 'end' && item.bytes.length === 0) return;
    d.queue.push(item);
    if (item.kind !== 'end') d.queuedBytes += item.bytes.length;
    if (d.queuedBytes > GATE_QUEUE_LIMIT) this.host.pause(direction, 'rules-queue');
    if (item.kind === 'held') {
      item.until.then((v) => { item.verdict = v; }, () => { item.verdict = { kind: 'forward' }; })
        .finally(() => { if (item === d.queue[0]) { d.waiting = false; this.pump(direction); } });
    }
    if (!d.waiting) this.pump(direction);
  }

  private pump(direction: Direction): void {
    const d = this.dirs[direction];
    while (d.queue.length > 0 && !d.waiting && !this.closed) {
      const head = d.queue[0];
      if (!this.host.canDeliver(direction)) return;
      if (head.kind === 'end') {
        d.queue.shift();
        this.host.endSide(other(direction));
        continue;
      }
      if (head.kind === 'held') {
        if (head.verdict === undefined) { d.waiting = true; return; }
        this.settleHeld(direction, head, head.verdict);
        continue;
      }
      const wait = (head.notBeforeMs ?? 0) - this.now();
      if (wait > 0) { this.wait(direction, wait); return; }
      head.notBeforeMs = undefined;
      if (head.sliceBytes !== undefined || head.bytesPerSecond !== undefined) {
        const piece = Math.max(1, Math.min(head.bytes.length, head.sliceBytes ?? head.bytes.length,
          head.bytesPerSecond !== undefined ? Math.max(1, Math.floor(head.bytesPerSecond / 10)) : Infinity));
        this.deliver(direction, head.bytes.subarray(0, piece));
        head.bytes = head.bytes.subarray(piece);
        if (head.bytes.length === 0) d.queue.shift();
        // Pieces go out one per turn at least (a client's framer sees each read), at the rate if one is set.
        const gap = head.bytesPerSecond !== undefined ? Math.ceil((piece * 1000) / head.bytesPerSecond) : 1;
        if (d.queue.length > 0) this.wait(direction, gap);
        return;
      }
      d.queue.shift();
      this.deliver(direction, head.bytes);
    }
  }

  private settleHeld(direction: Direction, item: Extract<QueueItem, { kind: 'held' }>, verdict: FrameVerdict): void {
    const d = this.dirs[direction];
    const toward = other(direction);
    const frameSeq = item.frame.seq;
    switch (verdict.kind) {
      case 'forward':
        d.queue[0] = { kind: 'bytes', bytes: item.bytes };
        this.record('forward', item.source, toward, `frame ${frameSeq} forwarded after being held`, { frameSeq });
        return;
      case 'drop':
        d.queue.shift();
        d.queuedBytes -= item.bytes.length;
        this.record('drop', verdict.source, toward, verdict.detail, { frameSeq });
        return;
      case 'replace':
        d.queue[0] = { kind: 'bytes', bytes: verdict.bytes };
        d.queuedBytes += verdict.bytes.length - item.bytes.length;
        this.record(verdict.action, verdict.source, toward, verdict.detail, { frameSeq, deliveredBytes: verdict.bytes.length });
        return;
      case 'delay':
        d.queue[0] = { kind: 'bytes', bytes: item.bytes, notBeforeMs: this.now() + verdict.ms };
        this.record('delay', verdict.source, toward, verdict.detail, { frameSeq, amount: verdict.ms });
        return;
      case 'pace':
        d.queue[0] = { kind: 'bytes', bytes: item.bytes, sliceBytes: verdict.sliceBytes, bytesPerSecond: verdict.bytesPerSecond };
        return;
      case 'hold':
        // Held again: wait for the new promise.
        d.queue[0] = { kind: 'held', bytes: item.bytes, frame: item.frame, until: verdict.until, source: verdict.source };
        verdict.until.then((v) => { (d.queue[0] as { verdict?: FrameVerdict }).verdict = v; }, () => undefined)
          .finally(() => { d.waiting = false; this.pump(direction); });
        d.waiting = true;
        return;
      default: {
        const never: never = verdict;
        return never;
      }
    }
  }

  private deliver(direction: Direction, bytes: Buffer): void {
    const d = this.dirs[direction];
    d.queuedBytes -= bytes.length;
    if (d.queuedBytes <= GATE_QUEUE_LIMIT) this.host.resume(direction, 'rules-queue');
    this.host.deliver(direction, bytes);
  }

  private wait(direction: Direction, ms: number): void {
    const d = this.dirs[direction];
    d.waiting = true;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      d.waiting = false;
      this.pump(direction);
    }, ms);
    this.timers.add(timer);
  }
}

function newDirection(): DirectionGate {
  return { pending: [], pendingBytes: 0, streamed: 0, queue: [], queuedBytes: 0, waiting: false, ended: false };
}
