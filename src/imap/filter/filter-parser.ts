import { tokenizeFilter, type FilterSyntaxError, type FilterToken } from './filter-tokens';

/** How a `~lit` size is compared. */
export type SizeComparison = '>' | '>=' | '<' | '<=' | '=';

/** The parsed expression. */
export type FilterNode =
  | { type: 'all' }
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'not'; operand: FilterNode }
  /** `~c FETCH`: the command verb, or a response paired with such a command. */
  | { type: 'command'; verb: string }
  | { type: 'tag'; tag: string }
  | { type: 'dir'; direction: 'client' | 'server' }
  | { type: 'idle' }
  | { type: 'lint' }
  | { type: 'status'; status: string }
  | { type: 'lit'; comparison: SizeComparison; bytes: number }
  | { type: 'session'; id: number }
  | { type: 'text'; value: string }
  | { type: 'regex'; regex: RegExp };

/** A parsed filter or the first syntax error; parsing never throws. */
export type FilterParseResult = { ok: true; node: FilterNode } | { ok: false; error: FilterSyntaxError };

/** Every operator with its argument, for the help screen and error messages. */
export const FILTER_OPERATORS: ReadonlyArray<readonly [string, string]> = [
  ['~c CMD', 'command verb (and the responses paired with it), e.g. ~c FETCH'],
  ['~tag T', 'command or response tag'],
  ['~dir c|s', 'direction: client (C:) or server (S:)'],
  ['~idle', 'frames inside an IDLE period, from IDLE to its tagged response'],
  ['~lint', 'frames with a protocol finding'],
  ['~status NO|BAD', 'tagged or untagged status response'],
  ['~lit >1M', 'a literal of this size (K, M, G; > >= < <= =)'],
  ['~s N', 'session number'],
  ['text "a b" /re/i', 'frame text contains (case-insensitive) or matches'],
  ['! & | ( )', 'not, and (also by juxtaposition), or, grouping'],
];

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Parse a size such as `1M`, `512K`, `10`, `1.5G` (1024-based) into bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)B?$/i.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

/**
 * Parse a filter expression (recursive descent):
 *   or      := and ('|' and)*
 *   and     := not ('&'? not)*
 *   not     := '!' not | primary
 *   primary := '(' or ')' | '~op' argument? | word | "quoted" | /regex/flags
 * An empty expression matches everything.
 */
export function parseFilter(input: string): FilterParseResult {
  const tokenized = tokenizeFilter(input);
  if (!tokenized.ok) return tokenized;
  const parser = new Parser(tokenized.tokens);
  try {
    if (parser.peek().type === 'end') return { ok: true, node: { type: 'all' } };
    const node = parser.parseOr();
    const rest = parser.peek();
    if (rest.type !== 'end') throw new ParseFailure(rest.type === 'rparen' ? 'unbalanced )' : 'expected & or | between terms', rest.pos);
    return { ok: true, node };
  } catch (err) {
    if (err instanceof ParseFailure) return { ok: false, error: { message: err.message, position: err.position } };
    return { ok: false, error: { message: String(err), position: 0 } };
  }
}

/** Internal: unwinds the recursion to parseFilter, which turns it into an error value. */
class ParseFailure extends Error {
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

const STARTS_TERM = new Set(['op', 'not', 'lparen', 'word', 'quoted', 'regex']);

class Parser {
  private index = 0;

  constructor(private readonly tokens: FilterToken[]) {}

  peek(): FilterToken {
    return this.tokens[this.index];
  }

  private next(): FilterToken {
    const t = this.tokens[this.index];
    if (t.type !== 'end') this.index += 1;
    return t;
  }

  parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.peek().type === 'or') {
      this.next();
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseNot();
    for (;;) {
      const t = this.peek();
      if (t.type === 'and') this.next();
      else if (!STARTS_TERM.has(t.type)) return left;
      left = { type: 'and', left, right: this.parseNot() };
    }
  }

  private parseNot(): FilterNode {
    if (this.peek().type === 'not') {
      this.next();
      return { type: 'not', operand: this.parseNot() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const t = this.next();
    switch (t.type) {
      case 'lparen': {
        const inner = this.parseOr();
        const close = this.next();
        if (close.type !== 'rparen') throw new ParseFailure('expected )', close.pos);
        return inner;
      }
      case 'op': return this.parseOperator(t.name, t.pos);
      case 'word': return { type: 'text', value: t.value };
      case 'quoted': return { type: 'text', value: t.value };
      case 'regex': {
        try {
          return { type: 'regex', regex: new RegExp(t.source, t.flags) };
        } catch (err) {
          throw new ParseFailure(`bad regex: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, t.pos);
        }
      }
      case 'end': throw new ParseFailure('expression ends where a term is expected', t.pos);
      default: throw new ParseFailure(`unexpected ${describe(t)}`, t.pos);
    }
  }

  private parseOperator(name: string, pos: number): FilterNode {
    switch (name) {
      case 'c': return { type: 'command', verb: this.argument('~c', 'a command name').toUpperCase() };
      case 'tag': return { type: 'tag', tag: this.argument('~tag', 'a tag') };
      case 'dir': {
        const arg = this.argument('~dir', 'c or s');
        const d = arg.toLowerCase();
        if (d === 'c' || d === 'client') return { type: 'dir', direction: 'client' };
        if (d === 's' || d === 'server') return { type: 'dir', direction: 'server' };
        throw new ParseFailure(`~dir takes c or s, not "${arg}"`, this.tokens[this.index - 1].pos);
      }
      case 'idle': return { type: 'idle' };
      case 'lint': return { type: 'lint' };
      case 'status': return { type: 'status', status: this.argument('~status', 'OK, NO, BAD, BYE or PREAUTH').toUpperCase() };
      case 'lit': return this.parseLit();
      case 's': {
        const arg = this.argument('~s', 'a session number');
        const id = Number(arg.replace(/^#/, ''));
        if (!Number.isInteger(id) || id < 0) throw new ParseFailure(`~s takes a session number, not "${arg}"`, this.tokens[this.index - 1].pos);
        return { type: 'session', id };
      }
      default: throw new ParseFailure(`unknown operator ~${name} (try ~c ~tag ~dir ~idle ~lint ~status ~lit ~s)`, pos);
    }
  }

  private parseLit(): FilterNode {
    let arg = this.argument('~lit', 'a size such as >1M');
    const argPos = this.tokens[this.index - 1].pos;
    // `~lit > 1M` arrives as two words.
    if (/^(>=|<=|>|<|=)$/.test(arg)) arg += this.argument('~lit', 'a size after the comparison');
    const m = /^(>=|<=|>|<|=)?(.*)$/.exec(arg);
    const bytes = parseSize(m?.[2] ?? '');
    if (!m || bytes === undefined) throw new ParseFailure(`~lit takes a size such as >1M or <=512K, not "${arg}"`, argPos);
    return { type: 'lit', comparison: (m[1] as SizeComparison | undefined) ?? '>=', bytes };
  }

  private argument(op: string, what: string): string {
    const t = this.peek();
    if (t.type === 'word' || t.type === 'quoted') {
      this.next();
      return t.value;
    }
    throw new ParseFailure(`${op} needs ${what}`, t.pos);
  }
}

function describe(t: FilterToken): string {
  switch (t.type) {
    case 'and': return '&';
    case 'or': return '|';
    case 'rparen': return ')';
    default: return t.type;
  }
}
