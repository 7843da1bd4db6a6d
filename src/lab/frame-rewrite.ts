import type { Frame, LineInfo, LiteralInfo } from '../imap/frame';
import { parseLiteralAnnouncement, type LiteralAnnouncement } from '../imap/literal-announcement';

/** One `replace /pattern/ 'replacement'`. */
export interface TextEdit {
  pattern: RegExp;
  /** JavaScript replacement syntax (`$1`, `$&`), as latin1 (one character per byte). */
  replacement: string;
}

/** What the edits made of a frame. */
export interface FrameReplacement {
  bytes: Buffer;
  /** Regex matches replaced by each edit (same order as the edits), over all lines and literal bodies. */
  matches: number[];
  /** Parts left as they were although the regex matched, each with why (the frame stays well framed). */
  refused: string[];
}

/**
 * Literal bodies above this size are left alone: the regex runs on a string of the whole body,
 * and a rule must not turn a 1 GB literal into a 1 GB string (measured: a 16 MiB body took 3 s
 * and 80-95 MB of RSS on the 2-core test machine; see bench/rule-rewrite.ts).
 */
export const MAX_REPLACE_BODY_BYTES = 4 * 1024 * 1024;

// The announcement at the end of a line, as literal-announcement.ts reads it (for its length).
const ANNOUNCEMENT_SUFFIX = /~?\{[0-9]{1,16}[+-]?\}$/;

/**
 * `replace /regex/ 'text'` on one frame (its parts and its bytes as read); several edits run one
 * after the other on each part. The regex runs, with the
 * user's flags and JavaScript's `$1`/`$&` replacement syntax, on each line without its line end
 * and without the literal announcement that ends it, and on each literal body; then every
 * `{N}`/`{N+}`/`{N-}`/`~{N}` announcement is rewritten with the new body size, in its old form.
 *
 * The output is well framed whatever the input: a change is refused (that part kept as it was)
 * when it would put CR or LF into a line, make a line end in a new literal announcement, change the
 * size of a literal announced in another frame (a frame that starts with a body after a `+`, or one
 * that ends with an announcement whose body comes later), or touch a literal that did not arrive
 * whole or is above MAX_REPLACE_BODY_BYTES. Line ends are kept byte for byte.
 * Undefined when nothing changes, or when `bytes` is not the frame's bytes.
 */
export function replaceInFrame(frame: Frame, bytes: Buffer, edits: readonly TextEdit[]): FrameReplacement | undefined {
  if (bytes.length !== frame.length || edits.length === 0) return undefined;
  const out: Buffer[] = [];
  const refused: string[] = [];
  const matches = edits.map(() => 0);
  const count = (found: number[]): void => found.forEach((n, k) => { matches[k] += n; });
  let changed = false;
  let cursor = 0;
  // The new body of a literal, computed when its announcing line is rewritten (its size goes there).
  let pendingBody: Buffer | undefined;
  for (let i = 0; i < frame.parts.length; i++) {
    const part = frame.parts[i];
    if (part.type === 'literal') {
      const body = bytes.subarray(cursor, cursor + part.literal.received);
      if (pendingBody !== undefined) {
        out.push(pendingBody);
        pendingBody = undefined;
      } else {
        // Announced in an earlier frame: only a change that keeps the size is allowed.
        const r = rewriteBody(body, part.literal, edits, true, refused);
        count(r.matches);
        changed ||= r.body !== body;
        out.push(r.body);
      }
      cursor += part.literal.received;
      continue;
    }
    const line = part.line;
    const raw = bytes.subarray(cursor, cursor + line.length);
    if (raw.length !== line.length || line.offset - frame.offset !== cursor) return undefined; // parts and bytes disagree
    cursor += line.length;
    const content = raw.subarray(0, raw.length - terminatorLength(line)).toString('latin1');
    const terminator = raw.subarray(raw.length - terminatorLength(line));
    const announcement = parseLiteralAnnouncement(content);
    const suffixLength = announcement ? (ANNOUNCEMENT_SUFFIX.exec(content)?.[0].length ?? 0) : 0;
    const head = content.slice(0, content.length - suffixLength);

    let newSize = announcement?.size;
    const next = frame.parts[i + 1];
    if (announcement && next?.type === 'literal') {
      const body = bytes.subarray(cursor, cursor + next.literal.received);
      const r = rewriteBody(body, next.literal, edits, false, refused);
      count(r.matches);
      changed ||= r.body !== body;
      pendingBody = r.body;
      newSize = r.body === body ? announcement.size : r.body.length;
    }

    const edited = applyEdits(head, edits);
    let newHead = head;
    if (edited.text !== head) {
      const why = lineRefusal(edited.text, announcement, newSize);
      if (why) refused.push(`part ${i + 1} (a line): ${why}`);
      else newHead = edited.text;
    }
    if (newHead === edited.text) count(edited.matches);
    const newAnnouncement = announcement && newSize !== undefined ? renderAnnouncement(announcement, newSize) : '';
    const newContent = newHead + newAnnouncement;
    if (newContent !== content) changed = true;
    out.push(Buffer.from(newContent, 'latin1'), terminator);
  }
  if (cursor !== bytes.length || !changed) return undefined;
  return { bytes: Buffer.concat(out), matches, refused };
}

/** Why a rewritten line head cannot be sent, or undefined when it can. */
function lineRefusal(head: string, announcement: LiteralAnnouncement | undefined, size: number | undefined): string | undefined {
  if (/[\r\n]/.test(head)) return 'the new text would put a line end inside the line';
  if (!announcement) {
    return parseLiteralAnnouncement(head) ? 'the new line would end in a literal announcement' : undefined;
  }
  // The announcement goes back after the new head: it must read as the same kind of literal (a head
  // ending in `~` would turn `{N}` into a binary `~{N}`).
  const reread = parseLiteralAnnouncement(head + renderAnnouncement(announcement, size ?? announcement.size));
  const same = reread && reread.binary === announcement.binary && reread.form === announcement.form;
  return same ? undefined : 'the new text would change the literal announcement';
}

/** A literal body after the edits, or the same Buffer when unchanged or refused. */
function rewriteBody(
  body: Buffer, literal: LiteralInfo, edits: readonly TextEdit[], keepSize: boolean, refused: string[],
): { body: Buffer; matches: number[] } {
  const none = edits.map(() => 0);
  if (literal.received !== literal.size) return { body, matches: none };
  if (body.length > MAX_REPLACE_BODY_BYTES) {
    refused.push(`literal of ${body.length} bytes: above ${MAX_REPLACE_BODY_BYTES} bytes, not searched`);
    return { body, matches: none };
  }
  const text = body.toString('latin1');
  const edited = applyEdits(text, edits);
  if (edited.text === text) return { body, matches: edited.matches };
  const next = Buffer.from(edited.text, 'latin1');
  if (keepSize && next.length !== body.length) {
    refused.push(`literal of ${body.length} bytes: announced in an earlier frame, its size cannot change`);
    return { body, matches: none };
  }
  return { body: next, matches: edited.matches };
}

/** The edits one after the other on one part's text, with the matches of each. */
function applyEdits(text: string, edits: readonly TextEdit[]): { text: string; matches: number[] } {
  let current = text;
  const matches = edits.map(({ pattern, replacement }) => {
    const found = countMatches(current, pattern);
    if (found > 0) current = replaceAll(current, pattern, replacement);
    return found;
  });
  return { text: current, matches };
}

function renderAnnouncement(a: LiteralAnnouncement, size: number): string {
  const suffix = a.form === 'non-sync-plus' ? '+' : a.form === 'non-sync-minus' ? '-' : '';
  return `${a.binary ? '~' : ''}{${size}${suffix}}`;
}

/** Matches `replace` would make: all of them with the g flag, else at most one. */
function countMatches(text: string, pattern: RegExp): number {
  pattern.lastIndex = 0;
  if (!pattern.global) return pattern.test(text) ? 1 : 0;
  let n = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    n += 1;
    if (m[0] === '') pattern.lastIndex += 1; // an empty match would be found again at the same place
  }
  return n;
}

function replaceAll(text: string, pattern: RegExp, replacement: string): string {
  pattern.lastIndex = 0; // a /g or /y pattern must not carry state from one part to the next
  return text.replace(pattern, replacement);
}

function terminatorLength(line: LineInfo): number {
  return line.ending === 'crlf' ? 2 : line.ending === 'lf' ? 1 : 0;
}
