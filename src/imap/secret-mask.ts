import { ConversationFramer } from './conversation-framer';
import type { Frame, LineInfo, SecretSpan } from './frame';

/**
 * The one place where secrets (LOGIN passwords, SASL data) are hidden for output: frame text
 * (frame-text.ts: headless, text and JSON export, lint, the TUI's list), the TUI's detail lines,
 * the rawlog export's bytes and findings that quote client bytes (STARTTLS command injection).
 *
 * A mask has a fixed width, so it does not tell the secret's length. Two exceptions keep the
 * same length, where offsets must stay valid: frame records in a capture (their secret spans
 * point into the text; record-encoding.ts) and a secret literal's body in a rawlog (a reader
 * frames it by the `{N}` announced before it, which shows the length in clear anyway).
 */
export const MASK = '********';

/** Bytes of a line's terminator. */
function terminatorLength(line: LineInfo): number {
  return line.ending === 'crlf' ? 2 : line.ending === 'lf' ? 1 : 0;
}

/**
 * A line's text with its secret spans replaced by MASK. A span reaching the end of a truncated
 * line's held text (`heldChars`) goes on to the end of the line: the secret continues unseen
 * (a LOGIN with a 70 KB user name has its password beyond the 64 KiB kept), so text of the full
 * line (the TUI's detail reads it from the capture) is masked to its end.
 */
export function maskLineText(text: string, spans: SecretSpan[], line: LineInfo): string {
  if (spans.length === 0) return text;
  let out = text;
  const lineSpans = spans.flatMap((s) => ('start' in s ? [s] : [])).sort((a, b) => b.start - a.start);
  for (const s of lineSpans) {
    const end = line.truncated && s.end >= line.text.length ? out.length : s.end;
    out = out.slice(0, s.start) + MASK + out.slice(Math.max(end, s.start));
  }
  return out;
}

/** A secret's bytes [start, end) in its direction's stream; literal bodies keep their length. */
export interface SecretRange {
  start: number;
  end: number;
  sameLength: boolean;
}

/**
 * Where a frame's secrets lie in its direction's byte stream. Line text is latin1, one character
 * per byte, so a span's characters are its bytes; a span reaching the held end of a truncated
 * line goes on to the line's terminator.
 */
export function secretRanges(frame: Frame): SecretRange[] {
  return frame.secrets.flatMap((span): SecretRange[] => {
    const part = frame.parts[span.part];
    if (!part) return [];
    if (part.type === 'literal') {
      return [{ start: part.literal.offset, end: part.literal.offset + part.literal.received, sameLength: true }];
    }
    if (!('start' in span)) return [];
    const line = part.line;
    const end = line.truncated && span.end >= line.text.length ? line.length - terminatorLength(line) : span.end;
    return [{ start: line.offset + span.start, end: line.offset + Math.max(end, span.start), sameLength: false }];
  });
}

/**
 * `bytes` (at stream offset `at`) with the secret ranges masked: MASK once where a range starts
 * (a range split across chunks shows one mask), `*` per byte for same-length ranges. The same
 * Buffer when nothing is masked.
 */
export function maskBytes(bytes: Buffer, at: number, ranges: SecretRange[]): Buffer {
  const end = at + bytes.length;
  const hits = ranges.filter((r) => r.start < r.end && r.start < end && r.end > at).sort((a, b) => a.start - b.start);
  if (hits.length === 0) return bytes;
  const pieces: Buffer[] = [];
  let pos = at;
  for (const r of hits) {
    const from = Math.max(r.start, pos);
    const to = Math.min(r.end, end);
    if (from > pos) pieces.push(bytes.subarray(pos - at, from - at));
    if (r.sameLength) pieces.push(Buffer.alloc(Math.max(0, to - from), 0x2a));
    else if (r.start >= at) pieces.push(Buffer.from(MASK, 'latin1'));
    pos = Math.max(pos, to);
  }
  if (pos < end) pieces.push(bytes.subarray(pos - at));
  return Buffer.concat(pieces);
}

/**
 * Client bytes (a command stream from its start, such as bytes injected after STARTTLS) with
 * their secrets masked: framed as IMAP commands, so `b LOGIN carol PASSWORD` and the SASL lines
 * after an AUTHENTICATE show as MASK. A cut-off last line is judged as far as it goes.
 */
export function maskClientBytes(bytes: Buffer): Buffer {
  const ranges: SecretRange[] = [];
  const framer = new ConversationFramer(0, (frame) => { ranges.push(...secretRanges(frame)); });
  framer.push('client', bytes, 0);
  framer.end('client', 0);
  return maskBytes(bytes, 0, ranges);
}
