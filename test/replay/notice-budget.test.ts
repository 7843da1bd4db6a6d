import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoticeBudget } from '../../src/replay/notice-budget';

test('the first notices are printed, then counts at powers of ten and a total at the end', () => {
  const out: string[] = [];
  let built = 0;
  const budget = new NoticeBudget('#3', (line) => out.push(line), 2);
  for (let i = 0; i < 1234; i++) budget.notice(() => { built += 1; return `bad line ${i}`; });
  budget.finish();
  assert.deepEqual(out, [
    '#3 bad line 0',
    '#3 bad line 1',
    '#3 (further notices of this connection are counted, not shown)',
    '#3 10 more unmatched lines so far',
    '#3 100 more unmatched lines so far',
    '#3 1000 more unmatched lines so far',
    '#3 1232 more unmatched lines not shown',
  ]);
  assert.equal(built, 2, 'the text of a notice not shown is never built');
});

test('a quiet connection prints nothing at the end', () => {
  const out: string[] = [];
  const budget = new NoticeBudget('#1', (line) => out.push(line));
  budget.notice(() => 'one');
  budget.finish();
  assert.deepEqual(out, ['#1 one']);
});
