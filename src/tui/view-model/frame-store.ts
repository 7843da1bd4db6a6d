import type { Frame, FramePart } from '../../imap/frame';
import type { Intervention } from '../../imap/intervention';
import { frameText } from '../../imap/frame-text';
import { IdleBands, type IdleBand } from './idle-bands';

/** Characters of a literal preview kept per frame: the detail pane fetches the body itself. */
const KEPT_LITERAL_PREVIEW = 256;
/** Characters of a line kept per frame; longer lines are marked truncated and fetched for the detail. */
const KEPT_LINE_TEXT = 2048;
/** Changes kept per frame (a rule that slices a frame into many writes reports once, but a script may loop). */
const KEPT_CHANGES_PER_FRAME = 8;
/** Changes that name a frame not seen yet, kept per session until it arrives. */
const KEPT_EARLY_CHANGES = 64;

/**
 * Every frame of every session in arrival order, held compactly: previews are cut short (the
 * detail pane reads the bytes from the capture or the live ring), derived facts are kept in
 * parallel arrays of numbers, and nothing is rendered until a row becomes visible.
 */
export class FrameStore {
  private readonly frames: Frame[] = [];
  /** Index into `bands.all` of the IDLE period holding each frame, or -1. */
  private readonly bandOf: number[] = [];
  /** For a command, the index of its tagged response; for a tagged response, its command's. */
  private readonly pairOf = new Map<number, number>();
  private readonly bySession = new Map<number, number[]>();
  /** What imapdbg changed, by frame index: the frame it acted on, or the frame before an injection. */
  private readonly changesOf = new Map<number, Intervention[]>();
  /** Changes whose frame has not arrived yet (the proxy may report a change before publishing the frame). */
  private readonly early = new Map<number, Intervention[]>();
  readonly bands = new IdleBands();

  constructor(private readonly revealSecrets: boolean) {}

  /** Number of frames held. */
  get size(): number {
    return this.frames.length;
  }

  /** Add a frame; returns its index. */
  add(frame: Frame): number {
    const index = this.frames.length;
    const kept = compact(frame);
    this.frames.push(kept);
    let list = this.bySession.get(frame.session);
    if (!list) {
      list = [];
      this.bySession.set(frame.session, list);
    }
    list.push(index);
    this.bandOf.push(this.bands.observe(kept, index));
    const waiting = this.early.get(frame.session);
    if (waiting) {
      for (const c of waiting.filter((w) => w.frameSeq === frame.seq)) this.attach(index, c);
      const rest = waiting.filter((w) => w.frameSeq !== frame.seq);
      if (rest.length > 0) this.early.set(frame.session, rest); else this.early.delete(frame.session);
    }
    const pair = kept.annotations.find((a) => a.kind === 'pair');
    if (pair && pair.kind === 'pair') {
      const command = this.findSeq(frame.session, pair.commandSeq);
      if (command !== undefined) {
        this.pairOf.set(index, command);
        this.pairOf.set(command, index);
      }
    }
    return index;
  }

  /** The session ended: close any IDLE period left open. */
  endSession(session: number, timeUs: number): void {
    this.early.delete(session);
    const list = this.bySession.get(session);
    this.bands.endSession(session, timeUs, list ? list[list.length - 1] : undefined);
  }

  /**
   * A change imapdbg made: marked on the frame it names, or, for a change without a frame
   * (injected bytes, a blackhole), on the session's latest frame.
   */
  addChange(session: number, change: Intervention): void {
    const index = change.frameSeq !== undefined ? this.findSeq(session, change.frameSeq) : this.lastOf(session);
    if (index !== undefined) { this.attach(index, change); return; }
    if (change.frameSeq === undefined) return;
    const list = this.early.get(session) ?? [];
    if (list.length < KEPT_EARLY_CHANGES) list.push(change);
    this.early.set(session, list);
  }

  /** What imapdbg changed at this frame (empty when nothing). */
  changes(index: number): readonly Intervention[] {
    return this.changesOf.get(index) ?? [];
  }

  private attach(index: number, change: Intervention): void {
    const list = this.changesOf.get(index) ?? [];
    if (list.length < KEPT_CHANGES_PER_FRAME) list.push(change);
    this.changesOf.set(index, list);
  }

  private lastOf(session: number): number | undefined {
    const list = this.bySession.get(session);
    return list ? list[list.length - 1] : undefined;
  }

  frame(index: number): Frame {
    return this.frames[index];
  }

  /** The IDLE period holding a frame. */
  band(index: number): IdleBand | undefined {
    const b = this.bandOf[index];
    return b >= 0 ? this.bands.all[b] : undefined;
  }

  /** The frame paired with this one (command with its tagged response), if known. */
  paired(index: number): number | undefined {
    return this.pairOf.get(index);
  }

  /** Frame indices of one session, in order (a live array: do not modify). */
  sessionFrames(session: number): readonly number[] {
    return this.bySession.get(session) ?? [];
  }

  /** The frame as one line, secrets masked unless revealed. */
  text(index: number): string {
    return frameText(this.frames[index], { revealSecrets: this.revealSecrets });
  }

  /** Index of a session's frame by its sequence number. */
  findSeq(session: number, seq: number): number | undefined {
    const list = this.bySession.get(session);
    if (!list) return undefined;
    // Sequence numbers count from 1 without gaps, so the position is a guess that is nearly always right.
    const guess = list[seq - 1];
    if (guess !== undefined && this.frames[guess].seq === seq) return guess;
    return list.find((i) => this.frames[i].seq === seq);
  }
}

function compact(frame: Frame): Frame {
  if (!frame.parts.some(isLarge)) return frame;
  return { ...frame, parts: frame.parts.map((p) => (isLarge(p) ? shrink(p) : p)) };
}

function isLarge(p: FramePart): boolean {
  return p.type === 'literal' ? p.literal.preview.length > KEPT_LITERAL_PREVIEW : p.line.text.length > KEPT_LINE_TEXT;
}

function shrink(p: FramePart): FramePart {
  if (p.type === 'literal') return { type: 'literal', literal: { ...p.literal, preview: p.literal.preview.slice(0, KEPT_LITERAL_PREVIEW) } };
  return { type: 'line', line: { ...p.line, text: p.line.text.slice(0, KEPT_LINE_TEXT), truncated: true } };
}
