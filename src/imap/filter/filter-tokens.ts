/**
 * Tokens of the frame filter language (mitmproxy-style `~` operators).
 *
 *   ~c FETCH & !~dir s | (~status NO | ~status BAD) | ~lit >1M | "two words" | /A0\d+ OK/i
 */

/** One token with the character position where it starts (for error messages). */
export type FilterToken =
  | { type: 'op'; name: string; pos: number }
  | { type: 'not' | 'and' | 'or' | 'lparen' | 'rparen'; pos: number }
  | { type: 'word'; value: string; pos: number }
  | { type: 'quoted'; value: string; pos: number }
  | { type: 'regex'; source: string; flags: string; pos: number }
  | { type: 'end'; pos: number };

/** A syntax error at a character position of the expression. */
export interface FilterSyntaxError {
  message: string;
  /** 0-based character position in the expression. */
  position: number;
}

/** The tokens, or the first syntax error. */
export type TokenizeResult = { ok: true; tokens: FilterToken[] } | { ok: false; error: FilterSyntaxError };

const SINGLE: Readonly<Record<string, 'not' | 'and' | 'or' | 'lparen' | 'rparen'>> = {
  '!': 'not', '&': 'and', '|': 'or', '(': 'lparen', ')': 'rparen',
};

/** Split an expression into tokens. Never throws. */
export function tokenizeFilter(input: string): TokenizeResult {
  const tokens: FilterToken[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    // Any white space: a word stops at all of it (CR, LF, NBSP...), so skipping less would loop forever.
    if (/\s/.test(c)) { i += 1; continue; }
    const single = SINGLE[c];
    if (single) { tokens.push({ type: single, pos: i }); i += 1; continue; }
    if (c === '~') {
      const m = /^~([a-z]+)/i.exec(input.slice(i));
      if (!m) return fail(`expected an operator name after ~`, i);
      tokens.push({ type: 'op', name: m[1].toLowerCase(), pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '"') {
      const r = readQuoted(input, i);
      if ('error' in r) return { ok: false, error: r.error };
      tokens.push({ type: 'quoted', value: r.value, pos: i });
      i = r.end;
      continue;
    }
    if (c === '/') {
      const r = readRegex(input, i);
      if ('error' in r) return { ok: false, error: r.error };
      tokens.push({ type: 'regex', source: r.source, flags: r.flags, pos: i });
      i = r.end;
      continue;
    }
    const start = i;
    while (i < input.length && !/[\s()!&|"]/.test(input[i])) i += 1;
    tokens.push({ type: 'word', value: input.slice(start, i), pos: start });
  }
  tokens.push({ type: 'end', pos: input.length });
  return { ok: true, tokens };
}

function fail(message: string, position: number): TokenizeResult {
  return { ok: false, error: { message, position } };
}

function readQuoted(input: string, start: number): { value: string; end: number } | { error: FilterSyntaxError } {
  let value = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i];
    if (c === '\\' && i + 1 < input.length) { value += input[i + 1]; i += 2; continue; }
    if (c === '"') return { value, end: i + 1 };
    value += c;
    i += 1;
  }
  return { error: { message: 'unterminated quoted string', position: start } };
}

function readRegex(input: string, start: number): { source: string; flags: string; end: number } | { error: FilterSyntaxError } {
  let source = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i];
    if (c === '\\' && i + 1 < input.length) { source += c + input[i + 1]; i += 2; continue; }
    if (c === '/') {
      const flags = /^[a-z]*/.exec(input.slice(i + 1))?.[0] ?? '';
      return { source, flags, end: i + 1 + flags.length };
    }
    source += c;
    i += 1;
  }
  return { error: { message: 'unterminated /regex/', position: start } };
}
