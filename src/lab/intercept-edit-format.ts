/**
 * The text file in which the user edits a held frame, and the bytes rebuilt from it. A frame is
 * lines and literal bodies; in the file each frame line is one file line (CRLF-terminated), and a
 * literal body, which may hold any bytes including line breaks, lies between two marker lines that
 * carry a token that occurs nowhere in the frame, so a body can never end a marker early. Lines are
 * sent with CRLF; `{N}` before a body is set to the body's byte count. Bytes are latin1 throughout:
 * one character is one byte, so nothing is re-encoded.
 */

import type { FramePart } from '../imap/frame';

/** The last line of the header; everything after it is the frame. */
export const HEADER_END = '# ---- the frame ----';

const MARKER_PREFIX = '#imapdbg literal-';

/** What the editor left, read back. */
export type EditOutcome =
  /** The file is empty (or only the header is left): the frame stays held. */
  | { kind: 'cancel' }
  /** Saved as it was written: the frame stays held. */
  | { kind: 'unchanged' }
  | { kind: 'bytes'; bytes: Buffer }
  /** The file does not parse; the frame stays held. */
  | { kind: 'error'; message: string };

/** An edit file and what is needed to read it back. */
export interface EditFile {
  text: Buffer;
  token: string;
  /**
   * The frame starts with a literal body whose `{N}` went out with the frame before (a command
   * continued after the server's `+`): its size cannot change.
   */
  leadingBody?: number;
  /** The frame ends with a literal body (nothing after it, not even CRLF). */
  endsWithBody: boolean;
}

type Segment = { type: 'line'; text: string } | { type: 'literal'; body: string };

/** A literal announcement at the end of a line: `{N}`, `{N+}`, `{N-}`, `~{N}`. */
const ANNOUNCEMENT = /\{(\d+)([+-]?)\}$/;

/**
 * The edit file for a frame's bytes. `describe` lines go into the header (already escaped by the
 * caller); `nextToken` is replaceable for tests.
 */
export function editFileOf(bytes: Buffer, parts: readonly FramePart[] | undefined, describe: string[],
  nextToken: () => string = randomToken): EditFile {
  const frame = bytes.toString('latin1');
  const segments = (parts && segmentsOfParts(frame, parts)) ?? segmentsOf(frame);
  let token = nextToken();
  while (token === '' || /\s/.test(token) || frame.includes(token)) token = nextToken();
  const header = [
    ...describe.map((d) => `# ${d}`),
    '# Save to send your version in place of the frame; an empty file cancels (the frame stays held).',
    '# Each line below is one line of the frame, sent with CRLF. A literal body lies between the lines',
    `# '${MARKER_PREFIX}begin ${token}' and '${MARKER_PREFIX}end ${token}'; the line break before the`,
    '# end line is not part of the body. The {N} announcing a body is set to its byte count when sent.',
    '# What you write is sent as it is: a tag or syntax the peer does not expect is your choice.',
    HEADER_END,
  ];
  const out = header.map((h) => `${h}\r\n`);
  for (const seg of segments) {
    if (seg.type === 'line') out.push(`${seg.text}\r\n`);
    else out.push(`${MARKER_PREFIX}begin ${token}\r\n`, seg.body, `\r\n${MARKER_PREFIX}end ${token}\r\n`);
  }
  const first = segments[0];
  return { text: Buffer.from(out.join(''), 'latin1'), token, leadingBody: first?.type === 'literal' ? first.body.length : undefined,
    endsWithBody: segments[segments.length - 1]?.type === 'literal' };
}

/** Read an edited file back into frame bytes. */
export function bytesOfEditFile(edited: Buffer, written: EditFile): EditOutcome {
  if (edited.equals(written.text)) return { kind: 'unchanged' };
  let text = edited.toString('latin1');
  const end = findLine(text, HEADER_END, 0);
  if (end >= 0) text = text.slice(lineEnd(text, end));
  else text = text.replace(/^(?:# [^\n]*(?:\n|$))+/, '');
  if (text.trim() === '') return { kind: 'cancel' };
  const begin = `${MARKER_PREFIX}begin ${written.token}`;
  const finish = `${MARKER_PREFIX}end ${written.token}`;
  const segments: Segment[] = [];
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    const next = lineEnd(text, pos);
    const line = text.slice(pos, next).replace(/\r?\n$/, '');
    lineNo++;
    pos = next;
    if (line === finish) return { kind: 'error', message: `'${finish}' without a begin line before it (frame line ${lineNo})` };
    if (line !== begin) {
      segments.push({ type: 'line', text: line });
      continue;
    }
    const before = segments[segments.length - 1];
    const leading = before === undefined && written.leadingBody !== undefined;
    if (!leading && (!before || before.type !== 'line' || !ANNOUNCEMENT.test(before.text))) {
      return { kind: 'error', message: `a literal body (frame line ${lineNo}) must follow a line ending in {N}` };
    }
    const close = findLine(text, finish, pos);
    if (close < 0) return { kind: 'error', message: `the literal body at frame line ${lineNo} has no '${finish}' line` };
    // The line break written before the end marker is not the body's (one of CRLF or LF, as the editor saved it).
    const body = text.slice(pos, close).replace(/\r?\n$/, '');
    if (leading && body.length !== written.leadingBody) {
      return { kind: 'error', message: `the first literal body's size went out with the previous frame: it must stay ${written.leadingBody} bytes (it is ${body.length})` };
    }
    if (before?.type === 'line') before.text = before.text.replace(ANNOUNCEMENT, (_m, _n: string, form: string) => `{${body.length}${form}}`);
    segments.push({ type: 'literal', body });
    lineNo += countLines(text.slice(pos, close)) + 1;
    pos = lineEnd(text, close);
  }
  const parts = segments.map((s) => (s.type === 'line' ? `${s.text}\r\n` : s.body));
  // The (empty) rest of the line after a final body may have been trimmed by the editor.
  if (segments[segments.length - 1]?.type === 'literal' && !written.endsWithBody) parts.push('\r\n');
  return { kind: 'bytes', bytes: Buffer.from(parts.join(''), 'latin1') };
}

/** The frame's lines and bodies as the framer split them; undefined when the parts do not cover the bytes. */
function segmentsOfParts(frame: string, parts: readonly FramePart[]): Segment[] | undefined {
  const out: Segment[] = [];
  let pos = 0;
  for (const p of parts) {
    const size = p.type === 'line' ? p.line.length : p.literal.received;
    if (pos + size > frame.length) return undefined;
    const piece = frame.slice(pos, pos + size);
    pos += size;
    out.push(p.type === 'line' ? { type: 'line', text: piece.replace(/\r?\n$/, '') } : { type: 'literal', body: piece });
  }
  return pos === frame.length ? out : undefined;
}

/** Split a frame (latin1) into lines (CRLF removed) and literal bodies by reading its `{N}`s. */
function segmentsOf(frame: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  while (pos < frame.length) {
    const crlf = frame.indexOf('\r\n', pos);
    const line = frame.slice(pos, crlf < 0 ? frame.length : crlf);
    out.push({ type: 'line', text: line });
    pos = crlf < 0 ? frame.length : crlf + 2;
    const m = ANNOUNCEMENT.exec(line);
    if (m && crlf >= 0) {
      const size = Number(m[1]);
      out.push({ type: 'literal', body: frame.slice(pos, pos + size) });
      pos += size;
    }
  }
  return out;
}

/** The index just past the line starting at `pos` (after its LF, or the end). */
function lineEnd(text: string, pos: number): number {
  const lf = text.indexOf('\n', pos);
  return lf < 0 ? text.length : lf + 1;
}

/** Index of a line that is exactly `line` (CRLF or LF or end after it), starting at or after `from`. */
function findLine(text: string, line: string, from: number): number {
  let i = text.indexOf(line, from);
  while (i >= 0) {
    const atStart = i === 0 || text[i - 1] === '\n';
    const after = text.slice(i + line.length, i + line.length + 2);
    if (atStart && (after === '' || after === '\r\n' || after.startsWith('\n'))) return i;
    i = text.indexOf(line, i + 1);
  }
  return -1;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function randomToken(): string {
  return Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
}
