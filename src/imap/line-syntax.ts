/**
 * Recognises the start of IMAP lines: enough of the RFC 3501 grammar to name a frame, its tag and
 * its verb. Arguments are not parsed here; the framer never needs them to find message boundaries.
 */

/** What the start of a client line says. */
export type ClientLine =
  | { kind: 'command'; tag: string; verb: string; argsStart: number }
  | { kind: 'idle-done' }
  | { kind: 'unparsed' };

/** What the start of a server line says. */
export type ServerLine =
  | { kind: 'continuation' }
  | { kind: 'untagged'; verb: string; number?: number }
  | { kind: 'tagged'; tag: string; verb: 'OK' | 'NO' | 'BAD' }
  | { kind: 'unparsed' };

// tag = 1*<any ASTRING-CHAR except "+">; ASTRING-CHAR = ATOM-CHAR / "]" (RFC 3501 9).
// ATOM-CHAR excludes "(" ")" "{" SP CTL "%" "*" DQUOTE "\".
const TAG = String.raw`[^\x00-\x20\x7f(){%*"\\+]+`;
const ATOM = String.raw`[^\x00-\x20\x7f(){%*"\\\]]+`;
const COMMAND_LINE = new RegExp(`^(${TAG}) (${ATOM})(?: (${ATOM}))?`);
const TAGGED = new RegExp(`^(${TAG}) (OK|NO|BAD)(?:[ \\[]|$)`, 'i');
const UNTAGGED = new RegExp(`^\\* (?:([0-9]+) )?(${ATOM})`);

/** Classify a client line. `DONE` ends IDLE in any letter case (RFC 2177 uses "DONE"; clients vary). */
export function classifyClientLine(text: string): ClientLine {
  if (/^done$/i.test(text)) return { kind: 'idle-done' };
  const m = COMMAND_LINE.exec(text);
  if (!m) return { kind: 'unparsed' };
  let verb = m[2].toUpperCase();
  let argsStart = m[1].length + 1 + m[2].length;
  // `UID FETCH` and friends pair and count as one command name.
  if (verb === 'UID' && m[3]) {
    verb = `UID ${m[3].toUpperCase()}`;
    argsStart += 1 + m[3].length;
  }
  return { kind: 'command', tag: m[1], verb, argsStart };
}

/** Classify a server line. A bare `+` without text is accepted: many servers send it. */
export function classifyServerLine(text: string): ServerLine {
  if (text === '+' || text.startsWith('+ ')) return { kind: 'continuation' };
  if (text.startsWith('* ')) {
    const m = UNTAGGED.exec(text);
    if (!m) return { kind: 'unparsed' };
    const verb = m[2].toUpperCase().replace(/\]$/, '');
    return m[1] === undefined ? { kind: 'untagged', verb } : { kind: 'untagged', verb, number: Number(m[1]) };
  }
  const t = TAGGED.exec(text);
  if (t) return { kind: 'tagged', tag: t[1], verb: t[2].toUpperCase() as 'OK' | 'NO' | 'BAD' };
  return { kind: 'unparsed' };
}

/** True for a greeting line: `* OK`, `* PREAUTH` or `* BYE` (RFC 3501 7.1). */
export function isGreeting(line: ServerLine): boolean {
  return line.kind === 'untagged' && (line.verb === 'OK' || line.verb === 'PREAUTH' || line.verb === 'BYE');
}

/**
 * End (exclusive) of the quoted string that starts at `pos` (RFC 3501 9 `quoted`: `\` escapes the
 * next character); the text's length when it is not closed.
 */
export function quotedStringEnd(text: string, pos: number): number {
  let i = pos + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i += 1;
  }
  return text.length;
}
