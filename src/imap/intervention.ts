import type { Direction } from './frame';

/**
 * Who asked imapdbg to change the conversation. Recorded with every change so a capture says why
 * a peer received what it received.
 */
export type ChangeSource =
  /** A `--rule` or a line of `--rules FILE`; `index` counts from 1 in the order given. */
  | { kind: 'rule'; index: number; text: string }
  /** The TUI's intercept: a frame held, then forwarded, dropped or edited by the user. */
  | { kind: 'intercept' }
  /** A `--script` hook. */
  | { kind: 'script'; file: string; hook: string };

/** What imapdbg did. */
export type ChangeAction =
  | 'hide-capability'
  | 'delay'
  | 'drop'
  | 'inject'
  | 'blackhole'
  | 'reset'
  | 'close'
  | 'slice'
  | 'throttle'
  | 'replace'
  /** Intercept: a frame is held; then one of forward, drop or edit. */
  | 'hold'
  | 'forward'
  | 'edit'
  /** A script hook threw or returned something that is not an action; the frame went on unchanged. */
  | 'hook-error';

/**
 * One change to the conversation. Bytes travelling toward a peer are the other peer's direction
 * (`toward: 'client'` = what the server sent or imapdbg sent as the server, shown `P>C:` when
 * imapdbg made the bytes itself).
 */
export interface Intervention {
  action: ChangeAction;
  source: ChangeSource;
  /** The peer that receives (or would have received) the bytes concerned. */
  toward: Direction;
  /** The frame changed, delayed, dropped or held; absent for injected bytes and session-wide actions. */
  frameSeq?: number;
  /** Milliseconds (delay), bytes (slice) or bytes per second (throttle). */
  amount?: number;
  /** Bytes imapdbg delivered instead of the frame's, or injected: their count. */
  deliveredBytes?: number;
  /** One line for people: what changed, bounded and with secrets masked. */
  detail: string;
}

/** A change source as one short label (`rule 2`, `intercept`, `script hooks.js:onFrame`). */
export function changeSourceLabel(source: ChangeSource): string {
  switch (source.kind) {
    case 'rule': return `rule ${source.index}`;
    case 'intercept': return 'intercept';
    case 'script': return `script ${source.file}:${source.hook}`;
    default: {
      const never: never = source;
      return never;
    }
  }
}
