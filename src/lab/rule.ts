import type { Direction } from '../imap/frame';
import type { FilterNode } from '../imap/filter/filter-parser';

/**
 * What a rule does (issue 11). Rules never act unless the user gives them; with none, imapdbg
 * forwards every byte unchanged.
 */
export type RuleAction =
  /** Remove capability names (upper case) from the greeting, CAPABILITY responses, `[CAPABILITY ...]` codes and ENABLED. */
  | { kind: 'hide-capability'; names: string[] }
  /** Deliver the matching frame `ms` later; later frames of that direction wait behind it (order kept). */
  | { kind: 'delay'; ms: number }
  /** Do not deliver the matching frame. */
  | { kind: 'drop' }
  /** Send bytes imapdbg made (CRLF-terminated lines) to one peer, after the matching frame or at the trigger. */
  | { kind: 'inject'; toward: Direction; bytes: Buffer }
  /** Stop delivering both ways, keep both sockets open (a NAT that forgot the connection). */
  | { kind: 'blackhole' }
  /** Reset (RST) one side or both. */
  | { kind: 'reset'; side: Direction | 'both' }
  /** Close (FIN) one side or both. */
  | { kind: 'close'; side: Direction | 'both' }
  /** Deliver matching frames in pieces of `bytes`, one write each. */
  | { kind: 'slice'; bytes: number }
  /** Deliver matching frames at most at this rate. */
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Replace regex matches in the frame's lines and literal bodies; `{N}` counts follow the new sizes. */
  | { kind: 'replace'; pattern: RegExp; replacement: string };

/** When a rule acts. */
export type RuleTrigger =
  /** On every frame that matches (the default). */
  | { kind: 'each-frame' }
  /** On every `n`th matching frame (the `n`th, `2n`th, ...). */
  | { kind: 'every'; n: number }
  /** Once per IDLE period, `ms` after the server accepted it (`+ idling`), if still idling. */
  | { kind: 'after-in-idle'; ms: number }
  /** Once per session, `ms` after it opened. */
  | { kind: 'after-open'; ms: number };

/** One rule as the user wrote it, parsed. */
export interface Rule {
  /** The rule's text as given (for display and for the recorded change source). */
  text: string;
  /** Position among all rules, from 1. */
  index: number;
  action: RuleAction;
  /** Frames it applies to (the TUI filter language); `{ type: 'all' }` when none given. */
  match: FilterNode;
  trigger: RuleTrigger;
}

/** A rule that does not parse: where and why (column from 1, like the TUI filter's errors). */
export interface RuleSyntaxError {
  column: number;
  message: string;
}

export type RuleParseResult = { ok: true; rule: Rule } | { ok: false; error: RuleSyntaxError };
