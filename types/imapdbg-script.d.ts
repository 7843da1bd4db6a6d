/**
 * Types for `imapdbg proxy --script FILE.js` (issue 11): a script is an ES module or a CommonJS
 * module exporting one or more hooks. In JavaScript, type a hook with JSDoc:
 *
 *     // @ts-check
 *     /** @type {import('imapdbg/types/imapdbg-script').OnFrame} *\/
 *     exports.onFrame = (frame) => frame.verb === 'EXISTS' ? { action: 'drop' } : undefined;
 *
 * In TypeScript: `import type { ScriptHooks } from 'imapdbg/types/imapdbg-script'` and compile to
 * JavaScript first (imapdbg loads .js, .mjs and .cjs).
 *
 * Hooks run inside the proxy, synchronously, on every frame they are called for: keep them fast.
 * A hook returns nothing (the frame goes on unchanged), one action or an array of actions. A hook
 * that throws, or returns anything else, changes nothing: the frame goes on unchanged and imapdbg
 * records a `hook-error` (rate-limited). A hook may return a promise: the frame is held until it
 * settles, at most 5 s, then treated as above. Module scope is shared by every session; each
 * session also gets `ctx.sessionData`. Everything else a hook receives is a frozen copy.
 *
 * Hooks do not see a frame larger than 1 MiB (it streams through unchanged), nor frames after
 * COMPRESS=DEFLATE starts; onIdlePhase follows the frames hooks see. A script is trusted code: it
 * runs inside imapdbg with Node's full rights, like a configuration file.
 */

/** Which peer sent a frame, or which peer receives bytes. */
export type Direction = 'client' | 'server';

export type FrameKind =
  | 'greeting' | 'command' | 'command-continuation' | 'continuation' | 'untagged' | 'tagged'
  | 'sasl' | 'idle-done' | 'unparsed';

export interface ScriptSession {
  /** The session number imapdbg shows (1, 2, ...). */
  readonly id: number;
}

export interface ScriptLiteral {
  /** Size announced in `{N}`. */
  readonly size: number;
  /** Bytes seen (less than `size` only when the connection ended inside the literal). */
  readonly received: number;
}

/** One IMAP frame: a line with its literals (a whole `* 1 FETCH (BODY[] {N}...)`, a command up to a `{N}` that waits for `+`). */
export interface ScriptFrame {
  readonly session: number;
  /** Ordinal in the session from 1, both directions counted together. */
  readonly seq: number;
  /** Who sent it. */
  readonly direction: Direction;
  readonly kind: FrameKind;
  /** The command or response tag (`A1`), if any. */
  readonly tag?: string;
  /** Upper case: the command (`IDLE`), the status (`OK`, `BYE`) or the untagged keyword (`EXISTS`, `FETCH`). */
  readonly verb?: string;
  /** Microseconds since the epoch of the first byte. */
  readonly timeUs: number;
  /** Bytes in the frame, literals included. */
  readonly length: number;
  /** The frame as one line as imapdbg prints it (small literals inline); secrets masked unless --reveal-secrets. */
  readonly text: string;
  /** The lines without CRLF (a very long line is cut to its start); secrets masked unless --reveal-secrets. */
  readonly lines: readonly string[];
  readonly literals: readonly ScriptLiteral[];
  /** A new copy of the frame's bytes on each read (a Node Buffer); secrets masked unless --reveal-secrets. */
  readonly bytes: Uint8Array;
  /** The frame lies in an IDLE period (from `tag IDLE` to its tagged response). */
  readonly inIdle: boolean;
}

export interface HookContext {
  readonly session: ScriptSession;
  readonly inIdle: boolean;
  /** A plain object of this session's, for the script's own use. */
  readonly sessionData: Record<string, unknown>;
}

/**
 * IDLE phases (RFC 2177), from imapdbg's IDLE tracker: `requested` (`tag IDLE`), `accepted` (the
 * server's `+`), `update` (an untagged response while idling), `done` (the client's DONE), `ended`
 * (the tagged response), `rejected` (NO/BAD instead of `+`).
 */
export type IdlePhaseName = 'requested' | 'accepted' | 'update' | 'done' | 'ended' | 'rejected';

export interface IdlePhase {
  readonly name: IdlePhaseName;
  /** The IDLE command's tag. */
  readonly tag: string;
  /** Durations in µs (`waitUs`, `sinceUs`, `durationUs`, `gapUs`), `updates`, `status`, `verb`... */
  readonly detail: Readonly<Record<string, string | number | boolean>>;
  /** The frame that carries the phase; actions returned act on it. */
  readonly frame: ScriptFrame;
}

/**
 * New frame bytes, exactly one of:
 * - `text`: lines without literals, separated by `\n` or `\r\n`; CRLF is added after each line;
 * - `parts`: lines and `{ literal }` bodies in wire order; the `{N}` at the end of the line before a
 *   literal is set to the body's byte count (and written if the line has none), so counts are always right;
 * - `bytes`: exactly these bytes.
 */
export type FrameContent =
  | { text: string; parts?: undefined; bytes?: undefined }
  | { parts: ReadonlyArray<string | { literal: string | Uint8Array }>; text?: undefined; bytes?: undefined }
  | { bytes: Uint8Array; text?: undefined; parts?: undefined };

/** Do not deliver the frame. */
export interface DropAction { action: 'drop' }
/** Deliver the frame `ms` later (0 to 86 400 000); later frames of its direction wait behind it. */
export interface DelayAction { action: 'delay'; ms: number }
/** Deliver these bytes instead of the frame (the whole frame is replaced). */
export type ReplaceAction = { action: 'replace' } & FrameContent;
/** Deliver the frame in pieces of `bytes`, one write each. */
export interface SliceAction { action: 'slice'; bytes: number }
/** Deliver the frame at most at this rate (may be combined with slice). */
export interface ThrottleAction { action: 'throttle'; bytesPerSecond: number }
/** Send bytes imapdbg makes to a peer (default the client), after the frame. */
export type InjectAction = { action: 'inject'; to?: Direction } & FrameContent;
/** Stop delivering both ways and keep both sockets open (a NAT that forgot the connection). */
export interface BlackholeAction { action: 'blackhole' }
/** Reset (RST) one side or both (default both). */
export interface ResetAction { action: 'reset'; side?: Direction | 'both' }
/** Close (FIN) one side or both (default both). */
export interface CloseAction { action: 'close'; side?: Direction | 'both' }

/** Actions that decide a frame's fate; one per frame (slice and throttle combine). The first hook to decide wins. */
export type FrameAction = DropAction | DelayAction | ReplaceAction | SliceAction | ThrottleAction;
/** Actions on the session, carried out after the frame's fate. */
export type SessionAction = InjectAction | BlackholeAction | ResetAction | CloseAction;
export type Action = FrameAction | SessionAction;

/** What a hook returns: nothing (forward unchanged), an action or several. */
export type HookResult<A extends Action = Action> = void | undefined | null | A | readonly A[];
export type MaybePromise<T> = T | Promise<T>;

/** A session opened (the client connected). Session actions only. */
export type OnSessionOpen = (session: ScriptSession) => MaybePromise<HookResult<SessionAction>>;
/** Every frame of both directions, before it is delivered. */
export type OnFrame = (frame: ScriptFrame, ctx: HookContext) => MaybePromise<HookResult>;
/** A frame that starts an IDLE phase; called before onFrame for that frame. */
export type OnIdlePhase = (phase: IdlePhase, ctx: HookContext) => MaybePromise<HookResult>;
/** The session ended; what it returns is ignored. */
export type OnSessionClose = (session: ScriptSession) => void | Promise<void>;

/** The exports imapdbg looks for; any other export named like a hook (`on` and a capital letter, or a hook's name in other letter case) is refused as a misspelt hook. */
export interface ScriptHooks {
  onSessionOpen?: OnSessionOpen;
  onFrame?: OnFrame;
  onIdlePhase?: OnIdlePhase;
  onSessionClose?: OnSessionClose;
}
