import type { Annotation, Direction, Frame, FrameKind } from '../imap/frame';
import { frameText, printable } from '../imap/frame-text';
import { maskBytes, maskLineText, secretRanges } from '../imap/secret-mask';

/**
 * What a script sees: plain, frozen copies, never imapdbg's own objects (a script that keeps or
 * changes them cannot disturb the proxy). Secrets are masked as on screen unless --reveal-secrets.
 * types/imapdbg-script.d.ts declares the same shapes for script authors (a test checks they agree).
 */
export interface ScriptSessionView {
  readonly id: number;
}

export interface ScriptLiteralView {
  readonly size: number;
  readonly received: number;
}

export interface ScriptFrameView {
  readonly session: number;
  readonly seq: number;
  readonly direction: Direction;
  readonly kind: FrameKind;
  readonly tag?: string;
  readonly verb?: string;
  /** Microseconds since the epoch of the frame's first byte. */
  readonly timeUs: number;
  /** Bytes of the frame, literals included. */
  readonly length: number;
  /** The frame as one line, literals inline or summarised, as the headless view prints it. */
  readonly text: string;
  /** The frame's lines without CRLF (a long line is cut to its start). */
  readonly lines: readonly string[];
  readonly literals: readonly ScriptLiteralView[];
  /** A copy of the frame's bytes as read (each read makes a new copy). */
  readonly bytes: Buffer;
  readonly inIdle: boolean;
}

export type ScriptIdlePhaseName = 'requested' | 'accepted' | 'update' | 'done' | 'ended' | 'rejected';

export interface ScriptIdlePhaseView {
  readonly name: ScriptIdlePhaseName;
  /** The IDLE command's tag. */
  readonly tag: string;
  /** The IdleTracker's detail (durations in µs in fields ending in `Us`, `updates`, `status`...). */
  readonly detail: Readonly<Record<string, string | number | boolean>>;
  readonly frame: ScriptFrameView;
}

export interface ScriptContextView {
  readonly session: ScriptSessionView;
  readonly inIdle: boolean;
  /** One object per session for the script's own use (module scope is shared by all sessions). */
  readonly sessionData: Record<string, unknown>;
}

export interface FrameViewOptions {
  revealSecrets: boolean;
}

/** A frozen view of a frame; `bytes` are the frame's bytes as read (masked on each access). */
export function frameView(frame: Frame, bytes: Buffer, inIdle: boolean, options: FrameViewOptions): ScriptFrameView {
  const reveal = options.revealSecrets;
  const lines: string[] = [];
  const literals: ScriptLiteralView[] = [];
  frame.parts.forEach((part, index) => {
    if (part.type === 'literal') literals.push(Object.freeze({ size: part.literal.size, received: part.literal.received }));
    else lines.push(printable(reveal ? part.line.text : maskLineText(part.line.text, frame.secrets.filter((s) => s.part === index), part.line)));
  });
  const view: ScriptFrameView = {
    session: frame.session,
    seq: frame.seq,
    direction: frame.direction,
    kind: frame.kind,
    ...(frame.tag !== undefined ? { tag: frame.tag } : {}),
    ...(frame.verb !== undefined ? { verb: frame.verb } : {}),
    timeUs: frame.timeUs,
    length: frame.length,
    text: frameText(frame, { revealSecrets: reveal }),
    lines: Object.freeze(lines),
    literals: Object.freeze(literals),
    get bytes(): Buffer {
      // A copy each time: the script may keep or change it; masking reads the frame's secret spans.
      const copy = Buffer.from(bytes);
      return reveal || frame.secrets.length === 0 ? copy : maskBytes(copy, frame.offset, secretRanges(frame));
    },
    inIdle,
  };
  return Object.freeze(view);
}

const PHASE_NAMES: Record<string, ScriptIdlePhaseName> = {
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
    if (a.kind !== 'phase') continue;
    const name = PHASE_NAMES[a.phase];
    if (name === undefined) continue;
    const detail = Object.freeze({ ...(a.detail ?? {}) });
    out.push(Object.freeze({ name, tag: typeof detail.tag === 'string' ? detail.tag : '', detail, frame: frame() }));
  }
  return out;
}
