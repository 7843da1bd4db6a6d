import { boundedCopy } from '../imap/bounded-string';
import type { Direction } from '../imap/frame';
import { oneLineText } from '../imap/terminal-text';
import { parseFilter, type FilterNode } from '../imap/filter/filter-parser';
import { tokenizeFilter, type FilterToken } from '../imap/filter/filter-tokens';
import type { Rule, RuleAction, RuleParseResult, RuleSyntaxError, RuleTrigger } from './rule';

/**
 * The rule language (issue 11): `ACTION [ARGS] [FILTER...] [TRIGGER]`.
 *
 *   hide-capability IDLE COMPRESS=DEFLATE
 *   delay 500ms ~c DONE
 *   drop ~dir s ~idle ~c EXISTS
 *   inject '* BYE shutting down' after 2s in IDLE
 *   inject to server 'a NOOP' ~c SELECT every 3rd
 *   blackhole after 2s in IDLE
 *   reset client ~c LOGOUT
 *   close both after 10s
 *   slice 1 ~dir s
 *   throttle 10KB/s
 *   replace /Subject: .*\/ 'Subject: changed' ~c FETCH
 *
 * The FILTER is the TUI's filter language; the bare words `after` and `every` start the TRIGGER,
 * which comes last (quote them, `"after"`, to search frame text for them).
 */

/** Every action, in the order the help and error messages list them. */
export const RULE_ACTIONS = [
  'hide-capability', 'delay', 'drop', 'inject', 'blackhole', 'reset', 'close', 'slice', 'throttle', 'replace',
] as const;

export type RuleActionName = (typeof RULE_ACTIONS)[number];

/** Every action and trigger with its arguments, for `--help` and the README. */
export const RULE_SYNTAX: ReadonlyArray<readonly [string, string]> = [
  ['hide-capability NAME...', 'remove names from the greeting, CAPABILITY, [CAPABILITY ...] codes and ENABLED'],
  ['delay DURATION', 'deliver the frame later (500ms, 2s, 1m); later frames of that direction wait behind it'],
  ['drop', 'do not deliver the frame'],
  ["inject [to client|server] 'TEXT'", 'send TEXT (CRLF added) after the frame, or at the time trigger'],
  ['blackhole', 'deliver nothing more either way, keep both connections open'],
  ['reset [client|server|both]', 'reset (RST) the connection(s); both by default'],
  ['close [client|server|both]', 'close (FIN) the connection(s); both by default'],
  ['slice BYTES', 'deliver the frame in pieces of BYTES (K, M)'],
  ['throttle RATE', 'deliver the frame at RATE, e.g. 10KB/s'],
  ["replace /REGEX/flags 'TEXT'", 'replace in lines and literal bodies; {N} counts follow'],
  ['every N', 'trigger: act on the Nth, 2Nth, ... frame the filter selects (every 2nd)'],
  ['after DURATION in IDLE', 'trigger: once per IDLE, DURATION after the server\'s +, if still idling'],
  ['after DURATION', 'trigger: once, DURATION after the session opened'],
];

/** Actions that act on the session rather than on one frame: the only ones a time trigger can fire. */
const SESSION_ACTIONS: ReadonlySet<RuleAction['kind']> = new Set(['inject', 'blackhole', 'reset', 'close']);

/** setTimeout's ceiling (2^31 - 1 ms, about 24.8 days); a longer timer would fire at once. */
export const MAX_RULE_DURATION_MS = 2 ** 31 - 1;
/** Largest `slice` piece and `every` count accepted (a bigger value is a typo, not a test). */
const MAX_SLICE_BYTES = 1024 ** 3;
const MAX_EVERY = 1_000_000_000;

/** Internal: unwinds to parseRule, which turns it into an error value (parseRule never throws). */
class RuleFailure extends Error {
  /** `position` is 0-based in the rule text. */
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

/** Parse one rule; `index` is its position among all rules, from 1. Never throws. */
export function parseRule(text: string, index: number): RuleParseResult {
  try {
    return { ok: true, rule: new RuleParser(text).parse(index) };
  } catch (err) {
    if (err instanceof RuleFailure) return { ok: false, error: { column: err.position + 1, message: err.message } };
    return { ok: false, error: { column: 1, message: String(err) } };
  }
}

/** A rule error as one line: `column 12: delay takes ...`. */
export function describeRuleError(error: RuleSyntaxError): string {
  return `column ${error.column}: ${error.message}`;
}

type Piece =
  | { kind: 'word'; value: string; pos: number }
  | { kind: 'quoted'; value: string; pos: number }
  | { kind: 'regex'; source: string; flags: string; pos: number }
  | { kind: 'end'; pos: number };

const TRIGGER_WORDS = new Set(['after', 'every']);
/** Characters that start a filter term other than a bare word. */
const FILTER_START = new Set(['~', '!', '(', '"', '/']);
// An IMAP atom (RFC 3501 9): a capability name is one.
const CAPABILITY_NAME = /^[^\x00-\x20\x7f(){%*"\\\]]+$/;

class RuleParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(index: number): Rule {
    const head = this.next();
    if (head.kind === 'end') throw new RuleFailure(`empty rule: expected an action (${RULE_ACTIONS.join(', ')})`, head.pos);
    if (head.kind !== 'word') throw new RuleFailure(`a rule starts with an action (${RULE_ACTIONS.join(', ')})`, head.pos);
    const name = head.value.toLowerCase();
    if (!isActionName(name)) throw new RuleFailure(`unknown action "${shown(head.value)}" (valid: ${RULE_ACTIONS.join(', ')})`, head.pos);
    const action = this.action(name, head.pos);
    const { match, trigger } = this.filterAndTrigger(action);
    return { text: this.text.trim(), index, action, match, trigger };
  }

  private action(name: RuleActionName, pos: number): RuleAction {
    switch (name) {
      case 'hide-capability': return this.hideCapability(pos);
      case 'delay': {
        const arg = this.expectWord('delay needs a duration such as 500ms, 2s or 1m');
        const ms = parseDuration(arg.value);
        if (ms === undefined || ms === 0) throw new RuleFailure(`delay takes a duration above 0 with a unit (500ms, 2s, 1m), not "${shown(arg.value)}"`, arg.pos);
        return { kind: 'delay', ms };
      }
      case 'drop': this.noArgument('drop'); return { kind: 'drop' };
      case 'blackhole': this.noArgument('blackhole'); return { kind: 'blackhole' };
      case 'inject': return this.inject();
      case 'reset': return { kind: 'reset', side: this.side() };
      case 'close': return { kind: 'close', side: this.side() };
      case 'slice': {
        const arg = this.expectWord('slice needs a piece size in bytes, e.g. slice 1 or slice 4K');
        const bytes = parseByteCount(arg.value);
        if (bytes === undefined || bytes < 1 || bytes > MAX_SLICE_BYTES) {
          throw new RuleFailure(`slice takes a whole number of bytes from 1 to 1G (K, M, G allowed), not "${shown(arg.value)}"`, arg.pos);
        }
        return { kind: 'slice', bytes };
      }
      case 'throttle': {
        const arg = this.expectWord('throttle needs a rate such as 10KB/s');
        const rate = parseRate(arg.value);
        if (rate === undefined || rate < 1) throw new RuleFailure(`throttle takes a rate of at least 1B/s such as 10KB/s or 1MB/s, not "${shown(arg.value)}"`, arg.pos);
        return { kind: 'throttle', bytesPerSecond: rate };
      }
      case 'replace': return this.replace();
      default: {
        const never: never = name;
        throw new RuleFailure(`unknown action ${String(never)}`, pos);
      }
    }
  }

  private hideCapability(pos: number): RuleAction {
    const names: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.text[this.pos];
      if (c === undefined || FILTER_START.has(c) || c === '\'') break;
      const save = this.pos;
      const word = this.next();
      if (word.kind !== 'word' || TRIGGER_WORDS.has(word.value.toLowerCase())) {
        this.pos = save;
        break;
      }
      if (!CAPABILITY_NAME.test(word.value)) throw new RuleFailure(`"${shown(word.value)}" is not a capability name (an IMAP atom)`, word.pos);
      names.push(word.value.toUpperCase());
    }
    if (names.length === 0) throw new RuleFailure('hide-capability needs at least one capability name, e.g. hide-capability IDLE', this.peekPos(pos));
    return { kind: 'hide-capability', names };
  }

  private inject(): RuleAction {
    let toward: Direction = 'client';
    const save = this.pos;
    const maybeTo = this.next();
    if (maybeTo.kind === 'word' && maybeTo.value.toLowerCase() === 'to') {
      const peer = this.expectWord('inject to needs client or server');
      const p = peer.value.toLowerCase();
      if (p !== 'client' && p !== 'server') throw new RuleFailure(`inject to takes client or server, not "${shown(peer.value)}"`, peer.pos);
      toward = p;
    } else {
      this.pos = save;
    }
    const text = this.next();
    if (text.kind !== 'quoted') throw new RuleFailure(`inject needs its text in quotes, e.g. inject '* OK still here'`, text.pos);
    if (text.value === '') throw new RuleFailure('inject needs some text, not an empty string', text.pos);
    const withEnd = text.value.endsWith('\r\n') ? text.value : `${text.value}\r\n`;
    return { kind: 'inject', toward, bytes: Buffer.from(withEnd, 'utf8') };
  }

  private replace(): RuleAction {
    const re = this.next();
    if (re.kind !== 'regex') throw new RuleFailure(`replace needs a /regex/ first, e.g. replace /Subject: .*/ 'Subject: changed'`, re.pos);
    const replacement = this.next();
    if (replacement.kind !== 'quoted') throw new RuleFailure(`replace needs the new text in quotes after the /regex/, e.g. 'Subject: changed'`, replacement.pos);
    let pattern: RegExp;
    try {
      // Frames are matched as latin1 text (one character per byte), so non-ASCII in the pattern and
      // the replacement stands for its UTF-8 bytes.
      pattern = new RegExp(utf8AsLatin1(re.source), re.flags);
    } catch (err) {
      throw new RuleFailure(`bad regex: ${(err as Error).message.replace(/^Invalid (regular expression|flags[^:]*): /, '')}`, re.pos);
    }
    return { kind: 'replace', pattern, replacement: utf8AsLatin1(replacement.value) };
  }

  /** `reset`/`close` side: client, server or both (the default). */
  private side(): Direction | 'both' {
    const w = this.peekWord();
    const v = w?.value.toLowerCase();
    if (v === 'client' || v === 'server' || v === 'both') {
      this.next();
      return v;
    }
    return 'both';
  }

  /** For actions without arguments: a number or duration right after one is a mistake, not a text filter. */
  private noArgument(action: string): void {
    const w = this.peekWord();
    if (w && /^\d/.test(w.value)) throw new RuleFailure(`${action} takes no argument (a text filter starting with a digit goes in quotes)`, w.pos);
  }

  /** The rest of the rule: the filter, then the trigger (which starts at the bare word `after` or `every`). */
  private filterAndTrigger(action: RuleAction): { match: FilterNode; trigger: RuleTrigger } {
    const start = this.pos;
    const rest = this.text.slice(start);
    const tokenized = tokenizeFilter(rest);
    if (!tokenized.ok) throw new RuleFailure(tokenized.error.message, start + tokenized.error.position);
    const tokens = tokenized.tokens;
    const at = tokens.findIndex((t) => t.type === 'word' && TRIGGER_WORDS.has(t.value.toLowerCase()));
    const filterEnd = at === -1 ? rest.length : tokens[at].pos;
    const parsed = parseFilter(rest.slice(0, filterEnd));
    if (!parsed.ok) throw new RuleFailure(`filter: ${parsed.error.message}`, start + parsed.error.position);
    const trigger: RuleTrigger = at === -1 ? { kind: 'each-frame' } : parseTrigger(tokens.slice(at), start);
    if (trigger.kind === 'after-open' || trigger.kind === 'after-in-idle') {
      if (!SESSION_ACTIONS.has(action.kind)) {
        throw new RuleFailure(`${action.kind} acts on frames: give it a filter or "every N", not "after" (time triggers fire inject, blackhole, reset, close)`, start + tokens[at].pos);
      }
      if (parsed.node.type !== 'all') {
        const first = tokens[0];
        throw new RuleFailure('a rule with "after" acts at a time, not on a frame: it takes no filter', start + first.pos);
      }
    }
    return { match: parsed.node, trigger };
  }

  // --- the scanner of the action part ---

  private skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos += 1;
  }

  /** Position of the next piece (for an error about something missing), else `fallback`. */
  private peekPos(fallback: number): number {
    this.skipSpaces();
    return this.pos < this.text.length ? this.pos : Math.max(fallback, this.text.length);
  }

  /** The bare word that comes next, without consuming it (quoted text and regexes are the filter's to read). */
  private peekWord(): Extract<Piece, { kind: 'word' }> | undefined {
    this.skipSpaces();
    const c = this.text[this.pos];
    if (c === undefined || c === '\'' || c === '"' || c === '/') return undefined;
    const save = this.pos;
    const w = this.next();
    this.pos = save;
    return w.kind === 'word' ? w : undefined;
  }

  private expectWord(message: string): Extract<Piece, { kind: 'word' }> {
    const p = this.next();
    if (p.kind !== 'word') throw new RuleFailure(message, p.pos);
    return p;
  }

  private next(): Piece {
    this.skipSpaces();
    const start = this.pos;
    const c = this.text[start];
    if (c === undefined) return { kind: 'end', pos: start };
    if (c === '\'' || c === '"') return this.quoted(c);
    if (c === '/') return this.regex();
    while (this.pos < this.text.length && !/\s/.test(this.text[this.pos])) this.pos += 1;
    return { kind: 'word', value: this.text.slice(start, this.pos), pos: start };
  }

  /** Quoted action text: `\r \n \t \\ \' \"` are the escapes; anything else after `\` is an error. */
  private quoted(quote: string): Piece {
    const start = this.pos;
    let value = '';
    let i = start + 1;
    while (i < this.text.length) {
      const c = this.text[i];
      if (c === quote) {
        this.pos = i + 1;
        return { kind: 'quoted', value, pos: start };
      }
      if (c === '\\') {
        const e = this.text[i + 1];
        const decoded = e === undefined ? undefined : ESCAPES[e];
        if (decoded === undefined) throw new RuleFailure(`unknown escape \\${e ?? ''} in quoted text (use \\r \\n \\t \\\\ \\' \\")`, i);
        value += decoded;
        i += 2;
        continue;
      }
      value += c;
      i += 1;
    }
    throw new RuleFailure('unterminated quoted text', start);
  }

  private regex(): Piece {
    const start = this.pos;
    let source = '';
    let i = start + 1;
    while (i < this.text.length) {
      const c = this.text[i];
      if (c === '\\' && i + 1 < this.text.length) {
        // `\/` stands for `/`; other escapes are the regex's own.
        source += this.text[i + 1] === '/' ? '/' : c + this.text[i + 1];
        i += 2;
        continue;
      }
      if (c === '/') {
        const flags = /^[a-z]*/.exec(this.text.slice(i + 1))?.[0] ?? '';
        this.pos = i + 1 + flags.length;
        return { kind: 'regex', source, flags, pos: start };
      }
      source += c;
      i += 1;
    }
    throw new RuleFailure('unterminated /regex/', start);
  }
}

const ESCAPES: Readonly<Record<string, string>> = { r: '\r', n: '\n', t: '\t', '\\': '\\', '\'': '\'', '"': '"' };

function isActionName(name: string): name is RuleActionName {
  return (RULE_ACTIONS as readonly string[]).includes(name);
}

/** `after 2s in IDLE`, `after 10s`, `every 2nd`, `every 3`; `tokens[0]` is the keyword. */
function parseTrigger(tokens: FilterToken[], offset: number): RuleTrigger {
  const [keyword, arg, ...rest] = tokens;
  const kw = keyword.type === 'word' ? keyword.value.toLowerCase() : '';
  const argText = arg.type === 'word' ? arg.value : undefined;
  let trigger: RuleTrigger;
  let tail = rest;
  if (kw === 'every') {
    const m = argText === undefined ? null : /^(\d+)(st|nd|rd|th)?$/i.exec(argText);
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || n > MAX_EVERY) throw new RuleFailure('every takes a count from 1, e.g. every 2nd or every 3', offset + arg.pos);
    trigger = { kind: 'every', n };
  } else {
    const ms = argText === undefined ? undefined : parseDuration(argText);
    if (ms === undefined) throw new RuleFailure('after takes a duration with a unit, e.g. after 2s in IDLE or after 500ms', offset + arg.pos);
    const inWord = rest[0];
    if (inWord?.type === 'word' && inWord.value.toLowerCase() === 'in') {
      const period = rest[1];
      if (period?.type !== 'word' || period.value.toLowerCase() !== 'idle') {
        throw new RuleFailure('after ... in takes IDLE (the only period a time trigger knows)', offset + (period?.pos ?? inWord.pos));
      }
      trigger = { kind: 'after-in-idle', ms };
      tail = rest.slice(2);
    } else {
      trigger = { kind: 'after-open', ms };
    }
  }
  const extra = tail[0];
  if (extra && extra.type !== 'end') throw new RuleFailure('the trigger ends the rule: put the filter before it', offset + extra.pos);
  return trigger;
}

/** `500ms`, `2s`, `1.5s`, `1m` in milliseconds; undefined without a unit or above MAX_RULE_DURATION_MS. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/i.exec(text);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const ms = Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
  return ms <= MAX_RULE_DURATION_MS ? ms : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** `10`, `4K`, `1M`, `512KB` (1024-based) as a whole number of bytes; undefined when not whole. */
export function parseByteCount(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)B?$/i.exec(text);
  if (!m) return undefined;
  const bytes = Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()];
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `10KB/s`, `10K/s`, `100B/s`, `1MB/s` (the `/s` may be left out) in bytes per second. */
export function parseRate(text: string): number | undefined {
  const m = /^(.*?)(?:\/s)?$/i.exec(text);
  const bytes = m ? parseByteCount(m[1]) : undefined;
  return bytes;
}

/** A piece of the user's rule inside an error message: bounded, one line, nothing a terminal interprets. */
function shown(text: string): string {
  return oneLineText(boundedCopy(text, 40));
}

/** A UTF-8 string as the latin1 string of its bytes (frames are matched one character per byte). */
function utf8AsLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}
