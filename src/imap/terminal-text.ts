/**
 * The one escaper for text bound for a terminal. Every string that came from a peer (frame text,
 * tags, verbs, mailbox names, SNI, certificate subjects, finding messages) reaches the screen
 * through it: the headless printer, the text export, stats, lint, error messages (through
 * src/headless/terminal-output.ts) and the TUI's cells (text-cells.ts).
 *
 * Escaped, as `\xNN` or `\u{NNNN}`:
 * - C0 controls: ESC starts CSI/OSC sequences (`ESC ]0;title BEL` retitles the window), CR rewrites
 *   the line, BS erases; and DEL;
 * - C1 controls U+0080-U+009F: a peer's byte 0x9b decoded as latin1 (or `c2 9b` decoded as UTF-8)
 *   is an 8-bit CSI to a terminal;
 * - bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the invisible
 *   direction marks (U+200E, U+200F, U+061C), which reorder what follows on the line (Trojan
 *   Source, CVE-2021-42574); and the line and paragraph separators U+2028, U+2029.
 * None of these is a surrogate, so a string cut anywhere escapes the same as the whole.
 */
const UNSAFE_KEEP_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_ONE_LINE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same set inside JSON: escaped as `\uNNNN` so the JSON stays valid and means the same. */
const UNSAFE_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Text safe to print: every character a terminal would interpret escaped; newlines kept. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE_KEEP_NEWLINE, escapeChar);
}

/** Text safe to print on one line: as terminalText, and CR, LF and tab shown as `\r`, `\n`, `\t`. */
export function oneLineText(text: string): string {
  // Nearly every line needs nothing escaped: a scan is cheaper than a replace (this runs for
  // every frame the headless view prints, on the forwarding thread).
  return needsOneLineEscape(text) ? text.replace(UNSAFE_ONE_LINE, escapeChar) : text;
}

/** True when `text` has a character UNSAFE_ONE_LINE matches (the same set, as code comparisons). */
export function needsOneLineEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) return true;
    if (c < 0x7f) continue;
    if (c <= 0x9f || c === 0x61c || c === 0x200e || c === 0x200f || c === 0x2028 || c === 0x2029
      || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;
  }
  return false;
}

/**
 * JSON text (from JSON.stringify, which escapes C0 but leaves DEL, C1 and bidi characters raw)
 * safe to print: those as `\uNNNN` escapes, which JSON readers decode to the same string.
 */
export function terminalJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
