import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from '../../src/imap/filter/filter-eval';
import { parseFilter, parseSize } from '../../src/imap/filter/filter-parser';
import { tokenizeFilter } from '../../src/imap/filter/filter-tokens';
import { frameText } from '../../src/imap/frame-text';
import type { Frame } from '../../src/imap/frame';
import { makeFrame, sampleConversation } from '../tui/frame-samples';

const frames = sampleConversation(1);
/** IDLE period of the sample: frames 7..11 (seq), as the view model derives it. */
const inIdle = (f: Frame): boolean => f.seq >= 7 && f.seq <= 11;

/** Sequence numbers of the sample frames a filter keeps. */
function keep(expr: string, list: Frame[] = frames): number[] {
  const c = compileFilter(expr);
  if (!c.ok) throw new Error(`unexpected error in ${expr}: ${c.error.message} at ${c.error.position}`);
  return list.filter((f) => c.matches({ frame: f, inIdle: inIdle(f), text: () => frameText(f, { revealSecrets: false }) })).map((f) => f.seq);
}

test('tokenizer: operators, words, quoted strings with escapes, regexes with flags, positions', () => {
  const r = tokenizeFilter('~c FETCH & !("a \\" b"|/x\\/y/i)');
  assert.ok(r.ok);
  assert.deepEqual(r.tokens.map((t) => t.type), ['op', 'word', 'and', 'not', 'lparen', 'quoted', 'or', 'regex', 'rparen', 'end']);
  assert.deepEqual(r.tokens[5], { type: 'quoted', value: 'a " b', pos: 13 });
  assert.deepEqual(r.tokens[7], { type: 'regex', source: 'x\\/y', flags: 'i', pos: 22 });
});

test('sizes: K, M, G are 1024-based; junk is undefined', () => {
  assert.equal(parseSize('1M'), 1048576);
  assert.equal(parseSize('512k'), 524288);
  assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('10'), 10);
  assert.equal(parseSize('1X'), undefined);
  assert.equal(parseSize(''), undefined);
});

test('each operator selects the frames it names', () => {
  assert.deepEqual(keep('~c SELECT'), [4, 6]); // the command and its paired tagged response
  assert.deepEqual(keep('~c fetch'), [12, 13, 14]); // the untagged FETCH too
  assert.deepEqual(keep('~tag a3'), [7, 11]);
  assert.deepEqual(keep('~dir c'), [2, 4, 7, 10, 12, 15]);
  assert.deepEqual(keep('~dir server').length, 10);
  assert.deepEqual(keep('~idle'), [7, 8, 9, 10, 11]);
  assert.deepEqual(keep('~lint'), [16]);
  assert.deepEqual(keep('~status NO'), [16]);
  assert.deepEqual(keep('~status BAD'), []);
  assert.deepEqual(keep('~lit >1M'), [13]);
  assert.deepEqual(keep('~lit > 2M'), []);
  assert.deepEqual(keep('~lit >=2M'), [13]);
  assert.deepEqual(keep('~lit <1K'), []);
  assert.deepEqual(keep('~s 1'), frames.map((f) => f.seq));
  assert.deepEqual(keep('~s 2'), []);
});

test('text and regex terms match the displayed text; secrets never match', () => {
  assert.deepEqual(keep('exists'), [5, 9]);
  assert.deepEqual(keep('"idle done"'), [11]);
  assert.deepEqual(keep('/^a\\d OK/'), [3, 6, 11, 14]);
  assert.deepEqual(keep('/EXISTS$/'), [5, 9]);
  const login = makeFrame(1, 1, 'client', 'command', 'a1 LOGIN alice hunter2');
  login.secrets = [{ part: 0, start: 15, end: 22 }];
  assert.deepEqual(keep('hunter2', [login]), []);
  assert.deepEqual(keep('alice', [login]), [1]);
});

test('!, &, | and parentheses; juxtaposition is and; | binds looser than &', () => {
  assert.deepEqual(keep('~idle & ~dir s'), [8, 9, 11]);
  assert.deepEqual(keep('~idle ~dir s'), [8, 9, 11]);
  assert.deepEqual(keep('~idle & !~dir s'), [7, 10]);
  assert.deepEqual(keep('~tag a1 | ~tag a2 & ~dir c'), [2, 3, 4]);
  assert.deepEqual(keep('(~tag a1 | ~tag a2) & ~dir c'), [2, 4]);
  assert.deepEqual(keep('!!~lint'), [16]);
  assert.deepEqual(keep(''), frames.map((f) => f.seq));
});

test('syntax errors are values with a position, never exceptions', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['~c', 2, /~c needs a command/],
    ['~c FETCH &', 10, /ends where a term/],
    ['(~idle', 6, /expected \)/],
    ['~idle)', 5, /unbalanced \)/],
    ['~bogus x', 0, /unknown operator ~bogus/],
    ['~dir up', 5, /~dir takes c or s/],
    ['~lit huge', 5, /~lit takes a size/],
    ['~s abc', 3, /session number/],
    ['"open', 0, /unterminated quoted/],
    ['/a(/', 0, /bad regex/],
    ['~', 0, /operator name/],
    ['a | | b', 4, /unexpected \|/],
  ];
  for (const [expr, position, message] of cases) {
    const r = parseFilter(expr);
    assert.equal(r.ok, false, expr);
    if (!r.ok) {
      assert.equal(r.error.position, position, `${expr}: ${r.error.message}`);
      assert.match(r.error.message, message, expr);
    }
    assert.equal(compileFilter(expr).ok, false);
  }
});
