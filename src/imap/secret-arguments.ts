import type { FramePart, SecretSpan } from './frame';
import { quotedStringEnd } from './line-syntax';

/**
 * Which argument of a command is a secret: LOGIN's password (RFC 3501 6.2.3) and AUTHENTICATE's
 * SASL initial response (RFC 4959), whose PLAIN form carries the password in base64.
 */
const SECRET_ARGUMENT: Readonly<Record<string, number>> = { LOGIN: 1, AUTHENTICATE: 1 };

/**
 * Finds the secret argument of one command across its segments: a LOGIN whose user name is a
 * synchronizing literal has its password in a later frame (`a LOGIN {5}` / `alice {6}` / `secret`).
 * Arguments are astrings: atoms, quoted strings or literals (RFC 3501 9).
 */
export class SecretArgumentTracker {
  private argIndex = 0;
  private literalPending = false;
  /**
   * A line was longer than the text the framer keeps, before the secret argument was seen: where
   * the secret lies (or whether a literal carries it) is unknown, so the rest of the command is.
   */
  private lost = false;

  constructor(private readonly secretIndex: number) {}

  /** Create a tracker for a verb, or undefined when the verb has no secret argument. */
  static forVerb(verb: string): SecretArgumentTracker | undefined {
    const index = SECRET_ARGUMENT[verb];
    return index === undefined ? undefined : new SecretArgumentTracker(index);
  }

  /** Secret spans in the parts of one segment; `firstLineStart` skips the tag and verb of the first. */
  spans(parts: FramePart[], firstLineStart: number): SecretSpan[] {
    const out: SecretSpan[] = [];
    parts.forEach((part, index) => {
      if (this.lost) {
        out.push(part.type === 'literal' ? { part: index, literal: true } : { part: index, start: 0, end: part.line.text.length });
        return;
      }
      if (part.type === 'literal') {
        if (this.literalPending) {
          if (this.argIndex === this.secretIndex) out.push({ part: index, literal: true });
          this.argIndex += 1;
          this.literalPending = false;
        }
        return;
      }
      const text = part.line.text;
      let pos = index === 0 ? firstLineStart : 0;
      while (pos < text.length) {
        while (text[pos] === ' ') pos += 1;
        if (pos >= text.length) break;
        const end = tokenEnd(text, pos);
        if (/^~?\{[0-9]+[+-]?\}$/.test(text.slice(pos, end)) && end === text.length) {
          this.literalPending = true;
        } else {
          if (this.argIndex === this.secretIndex) out.push({ part: index, start: pos, end });
          this.argIndex += 1;
        }
        pos = end;
      }
      if (part.line.truncated && this.argIndex <= this.secretIndex) {
        // The secret is beyond the text held: an empty span at its end, which the maskers
        // (secret-mask.ts) stretch to the end of the line.
        out.push({ part: index, start: text.length, end: text.length });
        this.lost = true;
      }
    });
    return out;
  }
}

/** End of the token starting at `pos`: a quoted string with its escapes, or up to the next space. */
function tokenEnd(text: string, pos: number): number {
  if (text[pos] !== '"') {
    const sp = text.indexOf(' ', pos);
    return sp === -1 ? text.length : sp;
  }
  return quotedStringEnd(text, pos);
}
