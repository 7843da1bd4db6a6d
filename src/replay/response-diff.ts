import { createHash } from 'node:crypto';
import type { Frame, LineInfo, LiteralInfo } from '../imap/frame';
import { printable } from '../imap/frame-text';

/**
 * Values that differ between two runs of the same dialog for reasons other than a behaviour change:
 * - `uidvalidity`: a new mailbox gets a new UIDVALIDITY (RFC 3501 2.3.1.1);
 * - `dates`: INTERNALDATE and other date-times, and message Date: headers (inside literals too);
 * - `counts`: EXISTS, RECENT, UNSEEN, UIDNEXT, HIGHESTMODSEQ, STATUS numbers, SEARCH results;
 * - `idle`: untagged updates received during IDLE, which depend on other clients' activity.
 */
export const IGNORABLE = ['uidvalidity', 'dates', 'counts', 'idle'] as const;
export type Ignorable = (typeof IGNORABLE)[number];

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE (RFC 3501 9).
const IMAP_DATE_TIME = new RegExp(`"[ 0-9]?[0-9]-${MONTH}-[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}"`, 'g');
// RFC 5322 3.3 date-time, as in Date: headers and ENVELOPE's date field.
const MESSAGE_DATE = new RegExp(`(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?[0-9]{1,2} ${MONTH} [0-9]{4} [0-9]{2}:[0-9]{2}(?::[0-9]{2})? (?:[+-][0-9]{4}|[A-Z]{1,5})`, 'g');
// Dovecot appends its command timings to tagged OKs: "Select completed (0.002 + 0.000 + 0.001 secs)."
const DOVECOT_TIMING = /\([0-9]+\.[0-9]+(?: \+ [0-9]+\.[0-9]+)* secs\)/g;

/** One response line with the ignored volatile values replaced by placeholders. */
export function normaliseLine(text: string, ignore: ReadonlySet<Ignorable>): string {
  // Server timings always differ and never mean anything for a replay: always normalised.
  let t = text.replace(DOVECOT_TIMING, '(… secs)');
  if (ignore.has('uidvalidity')) {
    t = t.replace(/\bUIDVALIDITY [0-9]+/gi, 'UIDVALIDITY #').replace(/\[(APPENDUID|COPYUID) [0-9]+ /gi, '[$1 # ');
  }
  if (ignore.has('dates')) t = t.replace(IMAP_DATE_TIME, '"<date>"').replace(MESSAGE_DATE, '<date>');
  if (ignore.has('counts')) {
    t = t.replace(/^\* [0-9]+ (EXISTS|RECENT)$/i, '* # $1')
      .replace(/\[(UNSEEN|UIDNEXT|HIGHESTMODSEQ) [0-9]+\]/gi, '[$1 #]')
      .replace(/\b(MESSAGES|RECENT|UIDNEXT|UNSEEN|HIGHESTMODSEQ) [0-9]+/gi, '$1 #')
      .replace(/^\* SEARCH( [0-9]+)+/i, '* SEARCH #');
  }
  return t;
}

/** Literals above this size are compared by the digest of their raw bytes: dates inside are not normalised. */
export const NORMALISED_LITERAL_MAX = 8 * 1024 * 1024;

/**
 * A server frame as comparable lines: each line of the frame as text, each literal as its size
 * and a digest of its content (the content itself may be megabytes), volatile values normalised.
 * Without `bytes` (a live frame too large to keep) lines come from the framer's text, cut after its
 * preview with their length noted, and literals from the framer's digest.
 */
export function responseLines(frame: Frame, bytes: Buffer | undefined, ignore: ReadonlySet<Ignorable>): string[] {
  let current = '';
  const lines: string[] = [];
  for (const part of frame.parts) {
    if (part.type === 'literal') {
      current += `«${part.literal.size} bytes, sha256 ${literalDigest(frame, part.literal, bytes, ignore).slice(0, 16)}»`;
      continue;
    }
    current += lineText(frame, part.line, bytes);
    if (part.line.ending !== 'none' && !/\{[0-9]+\}$/.test(current)) {
      lines.push(current);
      current = '';
    }
  }
  if (current !== '') lines.push(current);
  return lines.map((l) => printable(normaliseLine(l, ignore)));
}

function lineText(frame: Frame, line: LineInfo, bytes: Buffer | undefined): string {
  if (!bytes) return line.truncated ? `${line.text}«${line.length - line.text.length} more bytes»` : line.text;
  const start = line.offset - frame.offset;
  return bytes.subarray(start, start + line.length).toString('latin1').replace(/\r?\n$/, '');
}

function literalDigest(frame: Frame, literal: LiteralInfo, bytes: Buffer | undefined, ignore: ReadonlySet<Ignorable>): string {
  if (literal.size > NORMALISED_LITERAL_MAX || !bytes) {
    if (literal.sha256 !== '') return literal.sha256;
    if (!bytes) return '(not kept)';
  }
  const start = literal.offset - frame.offset;
  let body = bytes.subarray(start, start + literal.received);
  if (ignore.has('dates') && literal.size <= NORMALISED_LITERAL_MAX) body = Buffer.from(body.toString('latin1').replace(MESSAGE_DATE, '<date>'), 'latin1');
  return createHash('sha256').update(body).digest('hex');
}

/** One line of a line diff. */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** Above this many LCS cells (recorded x live lines) the diff is a plain one: memory stays bounded. */
const LCS_CELLS_MAX = 4_000_000;

/**
 * A shortest line diff (LCS), recorded lines as `-`, live lines as `+`. Inputs are one exchange
 * each, usually small; when they are not (a server that floods an exchange), the lines between the
 * common start and end are shown as removed and added, in linear time and memory.
 */
export function diffLines(recorded: string[], live: string[]): DiffLine[] {
  const n = recorded.length;
  const m = live.length;
  if ((n + 1) * (m + 1) > LCS_CELLS_MAX) return plainDiff(recorded, live);
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = recorded[i] === live[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && recorded[i] === live[j]) { out.push({ op: ' ', text: recorded[i] }); i++; j++; }
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push({ op: '-', text: recorded[i] }); i++; }
    else { out.push({ op: '+', text: live[j] }); j++; }
  }
  return out;
}

function plainDiff(recorded: string[], live: string[]): DiffLine[] {
  let start = 0;
  while (start < recorded.length && start < live.length && recorded[start] === live[start]) start++;
  let end = 0;
  while (end < recorded.length - start && end < live.length - start
    && recorded[recorded.length - 1 - end] === live[live.length - 1 - end]) end++;
  return [
    ...recorded.slice(0, start).map((text): DiffLine => ({ op: ' ', text })),
    ...recorded.slice(start, recorded.length - end).map((text): DiffLine => ({ op: '-', text })),
    ...live.slice(start, live.length - end).map((text): DiffLine => ({ op: '+', text })),
    ...recorded.slice(recorded.length - end).map((text): DiffLine => ({ op: ' ', text })),
  ];
}

/** True when the diff has a change. */
export function hasChange(diff: DiffLine[]): boolean {
  return diff.some((d) => d.op !== ' ');
}
