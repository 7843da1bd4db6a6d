import type { EventSink, ProxyEvent } from '../imap/events';
import type { Direction, Frame } from '../imap/frame';
import type { ChangeSource } from '../imap/intervention';
import { compileFilter, type FramePredicate } from '../imap/filter/filter-eval';
import type { FrameStage, FrameVerdict, StageContext, StageResult } from './frame-stage';

/**
 * How much the intercept may hold. A held frame's bytes stay in memory until the user acts, so a
 * frame larger than `frameBytes` is never held (it is forwarded and a notice says so), and once
 * `frames` frames or `totalBytes` bytes are held, further matches are forwarded the same way.
 */
export interface InterceptLimits {
  frameBytes: number;
  totalBytes: number;
  frames: number;
}

export const DEFAULT_INTERCEPT_LIMITS: InterceptLimits = { frameBytes: 1024 * 1024, totalBytes: 16 * 1024 * 1024, frames: 1000 };

/** A frame the intercept holds until the user forwards, drops or edits it. */
export interface HeldFrame {
  /** Identifies the held frame to forward/drop/edit; unique for the Interceptor's life. */
  readonly id: number;
  readonly session: number;
  /** The frame's sequence number in its session (as in the frames list). */
  readonly seq: number;
  readonly direction: Direction;
  readonly frame: Frame;
  /** The frame's bytes as read from the peer; not modified. */
  readonly bytes: Buffer;
}

/** The result of setting the intercept filter. */
export type InterceptFilterResult =
  | { ok: true; source: string | undefined; released: number }
  | { ok: false; column: number; message: string };

/** Called when the held list or the filter changed; `notice` is a line for the status bar. */
export type InterceptListener = (notice?: string) => void;

const SOURCE: ChangeSource = { kind: 'intercept' };

interface Entry {
  held: HeldFrame;
  settle: (verdict: FrameVerdict) => void;
}

/**
 * The TUI's intercept, one for all sessions: frames (either direction) that match the filter set at
 * run time get a `hold` verdict (through `stage`, shared by all sessions) whose promise settles when the user forwards, drops or edits the
 * frame. Only the matching frame is held here; the executor keeps each direction's order, so the
 * frames behind a held one in its direction wait for it while other sessions and the other
 * direction flow. Clearing the filter releases (forwards) every held frame, as does `releaseAll`
 * when the TUI quits.
 */
export class Interceptor implements EventSink {
  private predicate: FramePredicate | undefined;
  private source: string | undefined;
  private readonly entries = new Map<number, Entry>();
  /** Held ids by `session:seq`, for marking rows in the frames list. */
  private readonly byFrame = new Map<string, number>();
  private heldBytes = 0;
  private nextId = 1;
  private readonly listeners = new Set<InterceptListener>();

  constructor(readonly limits: InterceptLimits = DEFAULT_INTERCEPT_LIMITS) {}

  /** The filter in force, as typed; undefined when intercept is off. */
  get filterSource(): string | undefined {
    return this.source;
  }

  /** Held frames, oldest first. */
  list(): HeldFrame[] {
    return [...this.entries.values()].map((e) => e.held);
  }

  get count(): number {
    return this.entries.size;
  }

  /** The held frame with this session and sequence number, if held. */
  find(session: number, seq: number): HeldFrame | undefined {
    const id = this.byFrame.get(`${session}:${seq}`);
    return id === undefined ? undefined : this.entries.get(id)?.held;
  }

  /**
   * Set the filter (the TUI filter language). An empty one turns intercept off and forwards every
   * held frame; a syntax error leaves the old filter in force.
   */
  setFilter(text: string): InterceptFilterResult {
    const compiled = compileFilter(text.trim());
    if (!compiled.ok) return { ok: false, column: compiled.error.position + 1, message: compiled.error.message };
    if (compiled.source === '') {
      this.predicate = undefined;
      this.source = undefined;
      const released = this.releaseAll();
      if (released === 0) this.changed();
      return { ok: true, source: undefined, released };
    }
    this.predicate = compiled.matches;
    this.source = compiled.source;
    this.changed();
    return { ok: true, source: compiled.source, released: 0 };
  }

  /** Deliver the held frame unchanged. False when it is no longer held. */
  forward(id: number): boolean {
    return this.settle(id, { kind: 'forward' });
  }

  /** Do not deliver the held frame. */
  drop(id: number): boolean {
    return this.settle(id, { kind: 'drop', source: SOURCE, detail: 'dropped in the TUI' });
  }

  /** Deliver these bytes instead of the held frame's. */
  edit(id: number, bytes: Buffer): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    return this.settle(id, { kind: 'replace', bytes, source: SOURCE, action: 'edit',
      detail: `edited in the TUI: ${entry.held.bytes.length} -> ${bytes.length} bytes` });
  }

  /** Forward every held frame (filter cleared, TUI quit); returns how many. */
  releaseAll(): number {
    const ids = [...this.entries.keys()];
    for (const id of ids) this.settle(id, { kind: 'forward' }, false);
    if (ids.length > 0) this.changed();
    return ids.length;
  }

  /**
   * The event stream, to keep the held list true when the executor settles a held frame itself: at
   * a STARTTLS or COMPRESS boundary it forwards what is held, and a black hole forgets it. Its
   * `forward`/`drop`/`edit` records (or a session's `blackhole`) take those frames off the list.
   */
  handle(event: ProxyEvent): void {
    if (event.type !== 'intervention' || this.entries.size === 0) return;
    const { action, frameSeq, source } = event.intervention;
    let gone: number[] = [];
    if (action === 'blackhole') {
      gone = [...this.entries.values()].filter((e) => e.held.session === event.session).map((e) => e.held.id);
    } else if (source.kind === 'intercept' && frameSeq !== undefined && (action === 'forward' || action === 'drop' || action === 'edit')) {
      const id = this.byFrame.get(`${event.session}:${frameSeq}`);
      if (id !== undefined) gone = [id];
    }
    for (const id of gone) this.settle(id, { kind: 'forward' }, false);
    if (gone.length > 0) this.changed();
  }

  /** Listen for changes; returns the function that stops listening. */
  onChange(listener: InterceptListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The stage, one object for every session's pipeline: the session comes with each frame's context
   * and with onSessionClose.
   */
  readonly stage: FrameStage = {
    onFrame: (frame, bytes, context) => this.onFrame(frame, bytes, context),
    // The frames can no longer reach the peer; they leave the list (forwarded: the executor
    // reports bytes it cannot deliver, and nobody chose to drop them).
    onSessionClose: (session) => this.releaseSession(session),
  };

  private onFrame(frame: Frame, bytes: Buffer, context: StageContext): StageResult {
    const forward: StageResult = { verdict: { kind: 'forward' } };
    const predicate = this.predicate;
    if (!predicate || !predicate({ frame, inIdle: context.inIdle, text: () => context.text() })) return forward;
    const where = `session #${context.session} frame ${frame.seq}`;
    const limits = this.limits;
    if (bytes.length > limits.frameBytes) {
      this.changed(`${where} (${bytes.length} bytes) not held: larger than ${limits.frameBytes} bytes; forwarded`);
      return forward;
    }
    if (this.entries.size >= limits.frames || this.heldBytes + bytes.length > limits.totalBytes) {
      this.changed(`${where} not held: ${this.entries.size} frames (${this.heldBytes} bytes) already held; forwarded`);
      return forward;
    }
    const held: HeldFrame = { id: this.nextId++, session: context.session, seq: frame.seq, direction: frame.direction, frame, bytes };
    let settle: (verdict: FrameVerdict) => void = () => undefined;
    const until = new Promise<FrameVerdict>((resolve) => { settle = resolve; });
    this.entries.set(held.id, { held, settle });
    this.byFrame.set(`${held.session}:${held.seq}`, held.id);
    this.heldBytes += bytes.length;
    this.changed();
    return { verdict: { kind: 'hold', until, source: SOURCE, detail: `held by the intercept filter ${this.source ?? ''}` } };
  }

  private releaseSession(session: number): void {
    const ids = [...this.entries.values()].filter((e) => e.held.session === session).map((e) => e.held.id);
    for (const id of ids) this.settle(id, { kind: 'forward' }, false);
    if (ids.length > 0) this.changed();
  }

  private settle(id: number, verdict: FrameVerdict, notify = true): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.byFrame.delete(`${entry.held.session}:${entry.held.seq}`);
    this.heldBytes -= entry.held.bytes.length;
    entry.settle(verdict);
    if (notify) this.changed();
    return true;
  }

  private changed(notice?: string): void {
    for (const listener of this.listeners) listener(notice);
  }
}
