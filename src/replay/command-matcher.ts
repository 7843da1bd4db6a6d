import { createHash } from 'node:crypto';
import type { Frame } from '../imap/frame';

/**
 * How a live client command is compared with a recorded one. The tag never counts: the replay
 * answers with the live client's tag.
 * - `exact`: the same bytes after the tag, literal contents included;
 * - `ignore-literals`: literal contents and sizes do not count (an APPEND of another message);
 * - `ignore-sequence-numbers`: sequence sets and numbers (`1:*`, `4,7`, `12`) do not count.
 */
export type MatchRule = 'exact' | 'ignore-literals' | 'ignore-sequence-numbers';

export const MATCH_RULES: readonly MatchRule[] = ['exact', 'ignore-literals', 'ignore-sequence-numbers'];

/**
 * A client frame as the matcher sees it: its lines (without line ends) and literal bodies in order.
 * A line longer than the replay keeps counts by its first bytes and its length (`cutBytes`: the bytes
 * not kept); a literal by its body or, when the body was not kept, by the body's SHA-256 (hex).
 */
export type CommandPiece = { line: string; cutBytes?: number } | { literal: Buffer } | { literalSha256: string };

/**
 * The pieces of a recorded frame from its full bytes, lines cut at `lineBytes` the way the live
 * framer cuts them (DirectionFramer keeps `linePreviewBytes` of a line), so that a recorded and a
 * live overlong line compare alike.
 */
export function framePieces(frame: Frame, bytes: Buffer, lineBytes: number): CommandPiece[] {
  return frame.parts.map((part) => {
    if (part.type === 'literal') {
      const start = part.literal.offset - frame.offset;
      return { literal: bytes.subarray(start, start + part.literal.received) };
    }
    const start = part.line.offset - frame.offset;
    const line = bytes.subarray(start, start + part.line.length);
    if (line.length > lineBytes) return { line: line.subarray(0, lineBytes).toString('latin1'), cutBytes: line.length - lineBytes };
    return { line: line.toString('latin1').replace(/\r?\n$/, '') };
  });
}

/**
 * The pieces of a live frame from the frame alone: the framer keeps each line's text (bounded) and
 * each literal's digest, so the replay never holds a client's bytes (a 1 GB line costs nothing).
 */
export function liveFramePieces(frame: Frame): CommandPiece[] {
  return frame.parts.map((part) => {
    if (part.type === 'literal') return { literalSha256: part.literal.sha256 };
    const { text, truncated, length } = part.line;
    return truncated ? { line: text, cutBytes: length - text.length } : { line: text };
  });
}

// A sequence set as a whole token (RFC 3501 9: sequence-set), delimited by a space, a parenthesis
// or the line's end. `{12}` literal announcements and `BODY[1.2]<0.10>` never match: they do not
// start at a delimiter with a digit or `*`.
const SEQUENCE_TOKEN = /(^|[ (])(?:[0-9]+|\*)(?::(?:[0-9]+|\*))?(?:,(?:[0-9]+|\*)(?::(?:[0-9]+|\*))?)*(?=[ )]|$)/g;
const LITERAL_ANNOUNCEMENT = /~?\{[0-9]+[+-]?\}$/;

/**
 * The comparison key of one client frame under a rule. `dropTag` removes the tag of a command's
 * first line; continuations, SASL lines and DONE carry none.
 */
export function commandKey(pieces: CommandPiece[], rule: MatchRule, dropTag: boolean): string {
  return pieces.map((piece, i) => {
    if (!('line' in piece)) {
      if (rule === 'ignore-literals') return '«literal»';
      return `«${'literal' in piece ? createHash('sha256').update(piece.literal).digest('hex') : piece.literalSha256}»`;
    }
    let text = piece.line;
    if (i === 0 && dropTag) text = text.slice(text.indexOf(' ') + 1);
    if (rule === 'ignore-literals') text = text.replace(LITERAL_ANNOUNCEMENT, '{*}');
    if (rule === 'ignore-sequence-numbers') text = text.replace(SEQUENCE_TOKEN, '$1#');
    return piece.cutBytes ? `${text}«${piece.cutBytes} more bytes»` : text;
  }).join('\n');
}

/** Whether two client frames match under a rule. */
export function piecesMatch(live: CommandPiece[], recorded: CommandPiece[], rule: MatchRule, dropTag: boolean): boolean {
  return commandKey(live, rule, dropTag) === commandKey(recorded, rule, dropTag);
}
