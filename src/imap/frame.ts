/**
 * The frame model: what the framer hands out for each direction of an IMAP conversation.
 *
 * A frame is one message segment as the RFCs' examples print it: a line (without CRLF), the
 * literals it carries, and any further lines up to the next synchronisation point. Server
 * responses never sync, so a whole `* 1 FETCH (BODY[] {N}...)` is one frame. A client command
 * with a synchronizing literal `{N}` is split at each point where it must wait for the server's
 * `+` (RFC 3501 section 7.5), exactly like the RFC's `A001 LOGIN {11}` / `FRED FOOBAR {7}` example,
 * so a client stuck waiting for `+` is visible at once instead of hiding in an unfinished frame.
 * A command is also split where the server answers it before it is complete (a LITERAL+ body still
 * coming, RFC 7888): the part sent so far is a frame before the answer, the rest a continuation.
 * A literal under way goes whole to the continuation, so no literal is ever split.
 */

import type { PhaseAnnotation, UnrecognisedPhaseAnnotation } from './phase-annotation';

/** Which peer sent the bytes: `client` frames print as `C:`, `server` frames as `S:`. */
export type Direction = 'client' | 'server';

/** The kinds of frame the framer tells apart. */
export type FrameKind =
  /** The server's first line: `* OK`, `* PREAUTH` or `* BYE`. */
  | 'greeting'
  /** A client line starting a tagged command. */
  | 'command'
  /**
   * The rest of a client command after a synchronizing literal (starts with the literal's body), or
   * after the server answered the command early (starts with a literal body or the rest of a line).
   */
  | 'command-continuation'
  /** A server continuation request `+ ...`. */
  | 'continuation'
  /** A server untagged response `* ...`. */
  | 'untagged'
  /** A server tagged status response `tag OK|NO|BAD ...`. */
  | 'tagged'
  /** A client line answering an AUTHENTICATE challenge (RFC 3501 6.2.2); `*` alone cancels. */
  | 'sasl'
  /** The client's `DONE` that ends IDLE (RFC 2177), in any letter case. */
  | 'idle-done'
  /** Bytes that do not parse as the IMAP the framer expected; forwarded all the same. */
  | 'unparsed';

/** How a literal was announced: `{N}` (synchronizing), `{N+}` (LITERAL+, RFC 7888), `{N-}` (LITERAL-). */
export type LiteralForm = 'sync' | 'non-sync-plus' | 'non-sync-minus';

/** A literal body as the framer saw it: counted (and digested when asked) while streaming, never held whole. */
export interface LiteralInfo {
  /** Size announced in the braces. */
  size: number;
  /** Bytes actually seen; less than `size` only when the connection ended inside the literal. */
  received: number;
  form: LiteralForm;
  /** Whether the announcement had the `~` of a BINARY literal8 (RFC 3516). */
  binary: boolean;
  /** Offset of the first body byte in this direction's byte stream. */
  offset: number;
  /** SHA-256 of the received body, hex; empty when the framer did not digest it (the default live). */
  sha256: string;
  /** The first bytes of the body (at most the framer's preview size), as latin1 text. */
  preview: string;
}

/** A line segment of a frame, CRLF removed; `text` is a bounded prefix when `truncated`. */
export interface LineInfo {
  /** The line as latin1 text (a prefix of it when the line exceeded the preview size). */
  text: string;
  /** Bytes in the line including its terminator. */
  length: number;
  /** Offset of the first byte of the line in this direction's byte stream. */
  offset: number;
  /** The line was longer than the preview limit; `text` holds only its start. */
  truncated: boolean;
  /** How the line ended: CRLF, a bare LF (a protocol violation), or not at all (connection ended). */
  ending: 'crlf' | 'lf' | 'none';
}

/** One piece of a frame in wire order. */
export type FramePart =
  | { type: 'line'; line: LineInfo }
  | { type: 'literal'; literal: LiteralInfo };

/** A span of a frame that carries a secret (a LOGIN password, AUTHENTICATE data). */
export type SecretSpan =
  /** Characters [start, end) of line part `part`. */
  | { part: number; start: number; end: number }
  /** The whole literal in part `part`. */
  | { part: number; literal: true };

/** Severity of a lint finding. */
export type FindingLevel = 'error' | 'warning' | 'info';

/** A protocol finding, attached to the frame that revealed it. */
export interface Finding {
  level: FindingLevel;
  /** Stable machine name, e.g. `sync-literal-before-continuation`. */
  code: string;
  /** Where the rule comes from, e.g. `RFC 3501 7.5`. */
  rfc: string;
  message: string;
}

/**
 * Annotations that the session model and its trackers attach to a frame before it is published.
 * Consumers switch on `kind`; unknown kinds must be ignored so that captures stay readable.
 */
export type Annotation =
  /** A tagged response paired with its command. */
  | { kind: 'pair'; commandSeq: number; command: string; latencyUs: number }
  | { kind: 'finding'; finding: Finding }
  /** A tracker's phase, typed by its `phase` name (phase-annotation.ts). */
  | PhaseAnnotation
  /** A phase read from a capture that did not check out as one this version knows: shown, never acted on. */
  | UnrecognisedPhaseAnnotation
  | { kind: 'note'; text: string };

/** A complete frame, as published on the event stream and written to the capture. */
export interface Frame {
  /** Session the frame belongs to. */
  session: number;
  /** Ordinal of the frame in its session, from 1, both directions counted together. */
  seq: number;
  direction: Direction;
  kind: FrameKind;
  /** Time of the frame's first byte, microseconds since the Unix epoch. */
  timeUs: number;
  /** Time of the frame's last byte. */
  endUs: number;
  /** Offset of the first byte in this direction's (plaintext, inflated) byte stream. */
  offset: number;
  /** Total bytes of the frame, literals included. */
  length: number;
  /** The command or response tag, where there is one. */
  tag?: string;
  /**
   * The command name (upper case) for commands; the status (`OK`, `NO`, `BAD`, `PREAUTH`, `BYE`)
   * or the untagged keyword (`EXISTS`, `FETCH`, `CAPABILITY`...) for responses.
   */
  verb?: string;
  parts: FramePart[];
  secrets: SecretSpan[];
  annotations: Annotation[];
}
