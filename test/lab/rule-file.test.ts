import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRuleFile } from '../../src/lab/rule-file';

test('a rules file: one rule per line, # comment lines and blank lines skipped, CRLF and a BOM accepted', () => {
  const content = '\uFEFF# IDLE faults\r\n\r\nhide-capability COMPRESS=DEFLATE\r\n   # indented comment\n  drop ~c EXISTS ~s #3 every 2nd\n\t\ninject \'* BYE\' after 2s in IDLE';
  const r = parseRuleFile(content, 'faults.rules', 3);
  assert.ok(r.ok);
  assert.deepEqual(r.rules.map((x) => [x.index, x.text, x.action.kind]), [
    [3, 'hide-capability COMPRESS=DEFLATE', 'hide-capability'],
    [4, 'drop ~c EXISTS ~s #3 every 2nd', 'drop'], // `#` inside a rule is the rule's
    [5, "inject '* BYE' after 2s in IDLE", 'inject'],
  ]);
});

test('errors as FILE:LINE:COL: message, every bad line, columns counted in the line as written', () => {
  const content = ['drop', '  frob x', '# fine', 'delay 5 ~c DONE', "inject 'x' after 2s in WAIT"].join('\n');
  const r = parseRuleFile(content, 'bad.rules');
  assert.ok(!r.ok);
  assert.deepEqual(r.errors, [
    'bad.rules:2:3: unknown action "frob" (valid: hide-capability, delay, drop, inject, blackhole, reset, close, slice, throttle, replace)',
    'bad.rules:4:7: delay takes a duration above 0 with a unit (500ms, 2s, 1m), not "5"',
    'bad.rules:5:24: after ... in takes IDLE (the only period a time trigger knows)',
  ]);
});

test('an empty file or one with only comments has no rules', () => {
  assert.deepEqual(parseRuleFile('', 'x'), { ok: true, rules: [] });
  assert.deepEqual(parseRuleFile('# nothing\n\n', 'x'), { ok: true, rules: [] });
});
