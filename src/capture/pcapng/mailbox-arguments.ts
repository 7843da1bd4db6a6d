import type { Frame } from '../../imap/frame';
import { quotedStringEnd } from '../../imap/line-syntax';

/**
 * Where mailbox names are in the frames of one direction of a session, for pseudonymization: the
 * mailbox arguments of commands (RFC 3501 6.3, RFC 4314, RFC 2087, RFC 6851) and of the untagged
 * LIST, LSUB, STATUS, MYRIGHTS, ACL, LISTRIGHTS and QUOTAROOT responses. Arguments are astrings:
 * atoms, quoted strings or literals; a command whose literal waits for the server's continuation
 * goes on in the next client frame, so the position is tracked across frames.
 */
export type MailboxSpan =
  /** Characters [start, end) of line part `part` (the raw bytes, quotes excluded). */
  | { part: number; start: number; end: number; raw: string }
  /** The whole literal part `part`. */
  | { part: number; literal: true };

/** Argument indexes (after the tag or `*` and the verb) that name a mailbox. */
const COMMAND_MAILBOXES: Readonly<Record<string, readonly number[]>> = {
  SELECT: [0], EXAMINE: [0], CREATE: [0], DELETE: [0], SUBSCRIBE: [0], UNSUBSCRIBE: [0], STATUS: [0], APPEND: [0],
  RENAME: [0, 1], LIST: [0, 1], LSUB: [0, 1], COPY: [1], MOVE: [1], 'UID COPY': [1], 'UID MOVE': [1],
  GETQUOTAROOT: [0], MYRIGHTS: [0], GETACL: [0], LISTRIGHTS: [0], SETACL: [0], DELETEACL: [0],
};
const RESPONSE_MAILBOXES: Readonly<Record<string, readonly number[]>> = {
  LIST: [2], LSUB: [2], STATUS: [0], MYRIGHTS: [0], ACL: [0], LISTRIGHTS: [0], QUOTAROOT: [0],
};

const LITERAL_MARK = /^~?\{[0-9]+[+-]?\}$/;

/** Follows one direction of one session; `spans(frame)` for each of its frames, in order. */
export class MailboxArgumentTracker {
  private wanted: readonly number[] = [];
  private argIndex = 0;
  private literalPending = false;

  spans(frame: Frame): MailboxSpan[] {
    let skip: number;
    if (frame.kind === 'command' || frame.kind === 'untagged') {
      const verb = (frame.verb ?? '').toUpperCase();
      let wanted = (frame.kind === 'command' ? COMMAND_MAILBOXES : RESPONSE_MAILBOXES)[verb] ?? [];
      // LIST-EXTENDED (RFC 5258): selection options in parentheses before the reference.
      if (frame.kind === 'command' && (verb === 'LIST' || verb === 'LSUB') && /^\S+ \S+ \(/.test(firstLineText(frame))) wanted = [1, 2];
      this.wanted = wanted;
      this.argIndex = 0;
      this.literalPending = false;
      // The tag (or `*`) and the verb's words come first.
      skip = 1 + verb.split(' ').length;
    } else if (frame.kind === 'command-continuation') {
      skip = 0;
    } else {
      this.wanted = [];
      return [];
    }
    if (this.wanted.length === 0) return [];
    const out: MailboxSpan[] = [];
    frame.parts.forEach((part, index) => {
      if (part.type === 'literal') {
        if (this.literalPending) {
          if (this.wanted.includes(this.argIndex)) out.push({ part: index, literal: true });
          this.argIndex += 1;
          this.literalPending = false;
        }
        return;
      }
      const text = part.line.text;
      let pos = 0;
      let words = index === 0 ? skip : 0;
      while (pos < text.length) {
        while (text[pos] === ' ') pos += 1;
        if (pos >= text.length) break;
        const end = tokenEnd(text, pos);
        if (words > 0) {
          words -= 1;
        } else if (LITERAL_MARK.test(text.slice(pos, end)) && end === text.length) {
          this.literalPending = true;
        } else {
          if (this.wanted.includes(this.argIndex)) {
            const quoted = text[pos] === '"';
            const start = quoted ? pos + 1 : pos;
            const stop = quoted && end > start && text[end - 1] === '"' ? end - 1 : end;
            const raw = text.slice(start, stop);
            if (stop > start && !(!quoted && /^NIL$/i.test(raw))) out.push({ part: index, start, end: stop, raw });
          }
          this.argIndex += 1;
        }
        pos = end;
      }
    });
    return out;
  }
}

function firstLineText(frame: Frame): string {
  const first = frame.parts[0];
  return first?.type === 'line' ? first.line.text : '';
}

/** End of the token at `pos`: a quoted string with its escapes, a parenthesized list, or up to the next space. */
function tokenEnd(text: string, pos: number): number {
  if (text[pos] === '"') return quotedStringEnd(text, pos);
  if (text[pos] === '(') {
    let depth = 0;
    for (let i = pos; i < text.length; i++) {
      if (text[i] === '"') { i = tokenEnd(text, i) - 1; continue; }
      if (text[i] === '(') depth += 1;
      else if (text[i] === ')' && --depth === 0) return i + 1;
    }
    return text.length;
  }
  const sp = text.indexOf(' ', pos);
  return sp === -1 ? text.length : sp;
}
