import type { Annotation, Direction, Frame, FrameKind } from '../imap/frame';
import { frameText, printable } from '../imap/frame-text';
import { isIdlePhase, type IdlePhaseAnnotation } from '../imap/idle-tracker';
import { maskBytes, maskLineText, secretRanges } from '../imap/secret-mask';
import type { HookContext, IdlePhase, IdlePhaseName, ScriptFrame, ScriptLiteral, ScriptSession } from '../../types/imapdbg-script';

/**
 * What a script sees: plain, frozen copies, never imapdbg's own objects (a script that keeps or
 * changes them cannot disturb the proxy). Secrets are masked as on screen unless --reveal-secrets.
 * The shapes are the ones shipped to script authors in types/imapdbg-script.d.ts, used here as
 * they are, so the two cannot drift apart.
 */
export type ScriptSessionView = ScriptSession;
export type ScriptLiteralView = ScriptLiteral;
export type ScriptFrameView = ScriptFrame;
export type ScriptIdlePhaseName = IdlePhaseName;
export type ScriptIdlePhaseView = IdlePhase;
export type ScriptContextView = HookContext;

export interface FrameViewOptions {
  revealSecrets: boolean;
}

/** A frozen view of a frame; `bytes` are the frame's bytes as read (masked on each access). */
export function frameView(frame: Frame, bytes: Buffer, inIdle: boolean, options: FrameViewOptions): ScriptFrameView {
  return new FrozenFrameView(frame, bytes, inIdle, options.revealSecrets);
}

/**
 * A class rather than an object literal with getters: V8 keeps its shape fast, and `text` and
 * `lines` are made on first read (a script that looks only at `verb` costs little per frame).
 * Frozen; the frame and bytes stay in private fields the script cannot reach.
 */
class FrozenFrameView implements ScriptFrameView {
  readonly session: number;
  readonly seq: number;
  readonly direction: Direction;
  readonly kind: FrameKind;
  readonly tag?: string;
  readonly verb?: string;
  readonly timeUs: number;
  readonly length: number;
  readonly literals: readonly ScriptLiteralView[];
  readonly inIdle: boolean;
  readonly #frame: Frame;
  readonly #bytes: Buffer;
  readonly #reveal: boolean;
  #text: string | undefined;
  #lines: readonly string[] | undefined;

  constructor(frame: Frame, bytes: Buffer, inIdle: boolean, reveal: boolean) {
    const literals: ScriptLiteralView[] = [];
    for (const part of frame.parts) {
      if (part.type === 'literal') literals.push(Object.freeze({ size: part.literal.size, received: part.literal.received }));
    }
    this.session = frame.session;
    this.seq = frame.seq;
    this.direction = frame.direction;
    this.kind = frame.kind;
    if (frame.tag !== undefined) this.tag = frame.tag;
    if (frame.verb !== undefined) this.verb = frame.verb;
    this.timeUs = frame.timeUs;
    this.length = frame.length;
    this.literals = Object.freeze(literals);
    this.inIdle = inIdle;
    this.#frame = frame;
    this.#bytes = bytes;
    this.#reveal = reveal;
    Object.freeze(this);
  }

  get text(): string {
    return (this.#text ??= frameText(this.#frame, { revealSecrets: this.#reveal }));
  }

  get lines(): readonly string[] {
    if (this.#lines) return this.#lines;
    const frame = this.#frame;
    const lines: string[] = [];
    frame.parts.forEach((part, index) => {
      if (part.type !== 'line') return;
      const shown = this.#reveal || frame.secrets.length === 0 ? part.line.text : maskLineText(part.line.text, frame.secrets.filter((s) => s.part === index), part.line);
      lines.push(printable(shown));
    });
    return (this.#lines = Object.freeze(lines));
  }

  /** A copy each time: the script may keep or change it; masking reads the frame's secret spans. */
  get bytes(): Buffer {
    const copy = Buffer.from(this.#bytes);
    return this.#reveal || this.#frame.secrets.length === 0 ? copy : maskBytes(copy, this.#frame.offset, secretRanges(this.#frame));
  }

  /** What `JSON.stringify(frame)` in a script shows (getters are not own properties). */
  toJSON(): Record<string, unknown> {
    const { session, seq, direction, kind, tag, verb, timeUs, length, literals, inIdle } = this;
    return { session, seq, direction, kind, tag, verb, timeUs, length, text: this.text, lines: this.lines, literals, inIdle };
  }
}

const PHASE_NAMES: Readonly<Record<IdlePhaseAnnotation['phase'], ScriptIdlePhaseName>> = {
  'idle-requested': 'requested',
  'idle-accepted': 'accepted',
  'idle-update': 'update',
  'idle-done': 'done',
  'idle-ended': 'ended',
  'idle-rejected': 'rejected',
};

/** The IDLE phases among a frame's annotations (an IdleTracker's), as script views. */
export function idlePhaseViews(annotations: readonly Annotation[], frame: () => ScriptFrameView): ScriptIdlePhaseView[] {
  const out: ScriptIdlePhaseView[] = [];
  for (const a of annotations) {
    if (!isIdlePhase(a)) continue;
    out.push(Object.freeze({ name: PHASE_NAMES[a.phase], tag: a.detail.tag, detail: Object.freeze({ ...a.detail }), frame: frame() }));
  }
  return out;
}
