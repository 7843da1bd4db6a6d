import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FilterNode } from '../../src/imap/filter/filter-parser';
import type { Rule, RuleAction, RuleTrigger } from '../../src/lab/rule';
import { parseDuration, parseRule, RULE_ACTIONS, RULE_SYNTAX } from '../../src/lab/rule-parser';
import { prng } from '../imap/transcript';

function parsed(text: string, index = 1): Rule {
  const r = parseRule(text, index);
  if (!r.ok) throw new Error(`${text}: column ${r.error.column}: ${r.error.message}`);
  return r.rule;
}

function error(text: string): { column: number; message: string } {
  const r = parseRule(text, 1);
  if (r.ok) throw new Error(`${text} parsed`);
  return r.error;
}

const ALL: FilterNode = { type: 'all' };
const EACH: RuleTrigger = { kind: 'each-frame' };

test('the examples of issue 11 parse into action, filter and trigger', () => {
  const cases: Array<[string, RuleAction, FilterNode, RuleTrigger]> = [
    ['hide-capability IDLE COMPRESS=DEFLATE', { kind: 'hide-capability', names: ['IDLE', 'COMPRESS=DEFLATE'] }, ALL, EACH],
    ['hide-capability literal+ starttls', { kind: 'hide-capability', names: ['LITERAL+', 'STARTTLS'] }, ALL, EACH],
    ['delay 500ms ~c DONE', { kind: 'delay', ms: 500 }, { type: 'command', verb: 'DONE' }, EACH],
    ['delay 1.5s', { kind: 'delay', ms: 1500 }, ALL, EACH],
    ['delay 2m ~dir s', { kind: 'delay', ms: 120_000 }, { type: 'dir', direction: 'server' }, EACH],
    ['drop ~dir s ~idle ~c EXISTS', { kind: 'drop' },
      { type: 'and', left: { type: 'and', left: { type: 'dir', direction: 'server' }, right: { type: 'idle' } }, right: { type: 'command', verb: 'EXISTS' } }, EACH],
    ['drop ~idle "EXISTS"', { kind: 'drop' }, { type: 'and', left: { type: 'idle' }, right: { type: 'text', value: 'EXISTS' } }, EACH],
    ["inject '* BYE shutting down' after 2s in IDLE", { kind: 'inject', toward: 'client', bytes: Buffer.from('* BYE shutting down\r\n') }, ALL, { kind: 'after-in-idle', ms: 2000 }],
    ["inject to server 'a NOOP' ~c SELECT every 3rd", { kind: 'inject', toward: 'server', bytes: Buffer.from('a NOOP\r\n') }, { type: 'command', verb: 'SELECT' }, { kind: 'every', n: 3 }],
    ["inject to client '* 3 EXISTS' ~c NOOP", { kind: 'inject', toward: 'client', bytes: Buffer.from('* 3 EXISTS\r\n') }, { type: 'command', verb: 'NOOP' }, EACH],
    ['blackhole after 2s in IDLE', { kind: 'blackhole' }, ALL, { kind: 'after-in-idle', ms: 2000 }],
    ['blackhole ~c DONE', { kind: 'blackhole' }, { type: 'command', verb: 'DONE' }, EACH],
    ['reset client', { kind: 'reset', side: 'client' }, ALL, EACH],
    ['reset ~c LOGOUT', { kind: 'reset', side: 'both' }, { type: 'command', verb: 'LOGOUT' }, EACH],
    ['close both after 10s', { kind: 'close', side: 'both' }, ALL, { kind: 'after-open', ms: 10_000 }],
    ['close server after 1m in idle', { kind: 'close', side: 'server' }, ALL, { kind: 'after-in-idle', ms: 60_000 }],
    ['slice 1 ~dir s', { kind: 'slice', bytes: 1 }, { type: 'dir', direction: 'server' }, EACH],
    ['slice 4K', { kind: 'slice', bytes: 4096 }, ALL, EACH],
    ['throttle 10KB/s', { kind: 'throttle', bytesPerSecond: 10_240 }, ALL, EACH],
    ['throttle 1M/s ~lit >1M', { kind: 'throttle', bytesPerSecond: 1024 ** 2 }, { type: 'lit', comparison: '>', bytes: 1024 ** 2 }, EACH],
    ["replace /Subject: .*/ 'Subject: changed' ~c FETCH", { kind: 'replace', pattern: /Subject: .*/, replacement: 'Subject: changed' }, { type: 'command', verb: 'FETCH' }, EACH],
    ['replace /a\\/b/gi "x"', { kind: 'replace', pattern: /a\/b/gi, replacement: 'x' }, ALL, EACH],
    ['drop ~c EXISTS every 2nd', { kind: 'drop' }, { type: 'command', verb: 'EXISTS' }, { kind: 'every', n: 2 }],
    ['drop every 3', { kind: 'drop' }, ALL, { kind: 'every', n: 3 }],
    ['drop "a\\qb"', { kind: 'drop' }, { type: 'text', value: 'aqb' }, EACH],
    ['reset "client"', { kind: 'reset', side: 'both' }, { type: 'text', value: 'client' }, EACH],
    ['DROP "after" every 1st', { kind: 'drop' }, { type: 'text', value: 'after' }, { kind: 'every', n: 1 }],
  ];
  for (const [text, action, match, trigger] of cases) {
    const rule = parsed(`  ${text} `, 4);
    assert.deepEqual({ action: rule.action, match: rule.match, trigger: rule.trigger }, { action, match, trigger }, text);
    assert.equal(rule.text, text, 'the text is kept, trimmed');
    assert.equal(rule.index, 4);
  }
});

test('quoted text: escapes \\r \\n \\t \\\\ \\\' \\", CRLF appended only when missing, UTF-8 bytes', () => {
  const bytes = (text: string): string => {
    const a = parsed(text).action;
    assert.equal(a.kind, 'inject');
    return a.kind === 'inject' ? a.bytes.toString('utf8') : '';
  };
  assert.equal(bytes("inject '* OK it\\'s \\\\ here'"), "* OK it's \\ here\r\n");
  assert.equal(bytes("inject '* 1 EXISTS\\r\\n* 1 RECENT'"), '* 1 EXISTS\r\n* 1 RECENT\r\n');
  assert.equal(bytes("inject '* OK done\\r\\n'"), '* OK done\r\n', 'no second CRLF');
  assert.equal(bytes('inject "* OK \\"q\\"\\ttab"'), '* OK "q"\ttab\r\n');
  assert.equal(bytes("inject '* OK grüße'"), '* OK grüße\r\n');
  const r = parsed("replace /grüße/ 'Grüße'").action;
  assert.ok(r.kind === 'replace');
  // Frames are latin1 text (a character per byte): the pattern and the text stand for their UTF-8 bytes.
  assert.equal(Buffer.from('* OK grüße', 'utf8').toString('latin1').replace(r.pattern, r.replacement), Buffer.from('* OK Grüße', 'utf8').toString('latin1'));
});

test('errors: the column (from 1) points at the offending token, with a message saying what is expected', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['', 1, /empty rule/],
    ['   ', 4, /empty rule/],
    ['frob IDLE', 1, /unknown action "frob" \(valid: hide-capability, delay, drop, inject, blackhole, reset, close, slice, throttle, replace\)/],
    ['  frob', 3, /unknown action/],
    ["'drop'", 1, /starts with an action/],
    ['hide-capability', 16, /at least one capability name/],
    ['hide-capability ~dir s', 17, /at least one capability name/],
    ['hide-capability IDLE) ~dir s', 17, /"IDLE\)" is not a capability name/],
    ['delay', 6, /delay needs a duration/],
    ['delay 500 ~c DONE', 7, /with a unit .* not "500"/],
    ['delay 0ms', 7, /above 0/],
    ['delay 30d', 7, /not "30d"/],
    ['delay 999999999s', 7, /not "999999999s"/],
    ['drop 5', 6, /drop takes no argument/],
    ['blackhole 2s', 11, /blackhole takes no argument/],
    ['inject', 7, /inject needs its text in quotes/],
    ['inject * BYE', 8, /inject needs its text in quotes/],
    ["inject ''", 8, /some text/],
    ["inject to nobody '* OK'", 11, /client or server, not "nobody"/],
    ["inject 'abc", 8, /unterminated quoted text/],
    ["inject 'a\\qb'", 10, /unknown escape \\q/],
    ['slice 0', 7, /slice takes a whole number of bytes/],
    ['slice 1.5', 7, /slice takes/],
    ['throttle fast', 10, /throttle takes a rate/],
    ['throttle 0KB/s', 10, /throttle takes a rate/],
    ["replace 'x' 'y'", 9, /needs a \/regex\/ first/],
    ['replace /x/', 12, /needs the new text in quotes/],
    ["replace /(/ 'x'", 9, /bad regex/],
    ["replace /x/q 'y'", 9, /bad regex/],
    ["replace /x 'y'", 9, /unterminated \/regex\//],
    ['drop ~c', 8, /filter: ~c needs a command name/],
    ['drop ~zz', 6, /filter: unknown operator ~zz/],
    ['drop ~c FETCH |', 16, /filter: expression ends/],
    ['drop "abc', 6, /unterminated quoted string/],
    ['drop every', 11, /every takes a count/],
    ['drop every 0', 12, /every takes a count/],
    ['drop every second', 12, /every takes a count/],
    ['drop every 2 ~c FETCH', 14, /the trigger ends the rule/],
    ['inject \'x\' after', 17, /after takes a duration/],
    ["inject 'x' after 2", 18, /after takes a duration with a unit/],
    ["inject 'x' after 2s in WAIT", 24, /takes IDLE/],
    ["inject 'x' after 2s in", 23, /takes IDLE/],
    ['drop after 2s in IDLE', 6, /drop acts on frames/],
    ['delay 1s after 2s', 10, /delay acts on frames/],
    ['hide-capability IDLE after 1s', 22, /hide-capability acts on frames/],
    ["inject '* OK' ~c FETCH after 2s", 15, /takes no filter/],
    ['close client ~dir s after 2s in IDLE', 14, /takes no filter/],
  ];
  for (const [text, column, message] of cases) {
    const e = error(text);
    assert.equal(e.column, column, `${JSON.stringify(text)}: ${e.message}`);
    assert.match(e.message, message, JSON.stringify(text));
  }
});

test('every action named in an error message is one the parser accepts', () => {
  const minimal: Record<string, string> = {
    'hide-capability': 'hide-capability IDLE', delay: 'delay 1ms', drop: 'drop', inject: "inject '* OK'", blackhole: 'blackhole',
    reset: 'reset', close: 'close', slice: 'slice 1', throttle: 'throttle 1B/s', replace: "replace /a/ 'b'",
  };
  for (const name of RULE_ACTIONS) assert.equal(parsed(minimal[name]).action.kind, name);
  assert.deepEqual(RULE_SYNTAX.map(([syntax]) => syntax.split(' ')[0]).slice(0, RULE_ACTIONS.length), [...RULE_ACTIONS], 'the help lists every action');
});

test('error messages are one terminal-safe line even for hostile rule text', () => {
  const e = error('\x1b[2J\nfrob');
  assert.doesNotMatch(e.message, /[\x00-\x1f\x7f]/);
  const long = error(`x${'y'.repeat(10_000)}`);
  assert.ok(long.message.length < 300, `${long.message.length}`);
});

test('durations: ms, s, m; a unit is required', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2S'), 2000);
  assert.equal(parseDuration('0.5m'), 30_000);
  assert.equal(parseDuration('500'), undefined);
  assert.equal(parseDuration('1h'), undefined);
});

test('parseRule never throws, whatever the text', () => {
  const alphabet = [...'abcdefghijklmnopqrstuvwxyz~!&|()"\'/\\ 0123456789{}[]*+-.'].concat(['drop ', 'inject ', 'after ', 'every ', 'replace ', ' in IDLE', '~c ', '\r', '\n', '\x00', 'é']);
  const random = prng(11);
  for (let i = 0; i < 3000; i++) {
    const n = Math.floor(random() * 12);
    const text = Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    const r = parseRule(text, 1);
    if (!r.ok) {
      assert.ok(r.error.column >= 1 && r.error.column <= text.length + 1, `${JSON.stringify(text)}: column ${r.error.column}`);
    }
  }
});

test('white space other than space and tab (CR, LF, NBSP) separates words; the filter tokenizer used to loop forever on it', () => {
  assert.deepEqual(parsed('drop ~c FETCH\r').match, { type: 'command', verb: 'FETCH' });
  assert.deepEqual(parsed('drop\n~c\u00a0FETCH').match, { type: 'command', verb: 'FETCH' });
});
