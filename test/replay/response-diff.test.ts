import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffLines, hasChange, normaliseLine, type Ignorable } from '../../src/replay/response-diff';

const none = new Set<Ignorable>();

test("Dovecot's command timings are always normalised", () => {
  assert.equal(normaliseLine('a2 OK [READ-WRITE] Select completed (0.002 + 0.000 + 0.001 secs).', none), 'a2 OK [READ-WRITE] Select completed (… secs).');
});

test('volatile values are replaced only when asked', () => {
  const line = '* OK [UIDVALIDITY 1795411414] UIDs valid';
  assert.equal(normaliseLine(line, none), line);
  assert.equal(normaliseLine(line, new Set<Ignorable>(['uidvalidity'])), '* OK [UIDVALIDITY #] UIDs valid');
  const fetch = '* 1 FETCH (INTERNALDATE "23-Nov-2026 05:23:34 +0000" ENVELOPE ("Mon, 02 Jan 2024 12:00:00 +0000" "x"))';
  assert.equal(normaliseLine(fetch, new Set<Ignorable>(['dates'])), '* 1 FETCH (INTERNALDATE "<date>" ENVELOPE ("<date>" "x"))');
  const counts = new Set<Ignorable>(['counts']);
  assert.equal(normaliseLine('* 12 EXISTS', counts), '* # EXISTS');
  assert.equal(normaliseLine('* 12 FETCH (FLAGS ())', counts), '* 12 FETCH (FLAGS ())');
  assert.equal(normaliseLine('* STATUS INBOX (MESSAGES 2 UIDNEXT 3)', counts), '* STATUS INBOX (MESSAGES # UIDNEXT #)');
  assert.equal(normaliseLine('* OK [UIDNEXT 3] Predicted next UID', counts), '* OK [UIDNEXT #] Predicted next UID');
  assert.equal(normaliseLine('* SEARCH 1 2 3', counts), '* SEARCH #');
});

test('the diff keeps order, removals before additions', () => {
  const d = diffLines(['* FLAGS ()', '* 2 EXISTS', 'a OK'], ['* FLAGS ()', '* 3 EXISTS', 'a OK']);
  assert.deepEqual(d.map((l) => `${l.op}${l.text}`), [' * FLAGS ()', '-* 2 EXISTS', '+* 3 EXISTS', ' a OK']);
  assert.ok(hasChange(d));
  assert.ok(!hasChange(diffLines(['x'], ['x'])));
  assert.deepEqual(diffLines([], ['new']).map((l) => l.op), ['+']);
});

test('a flooded exchange is diffed in linear memory: common start and end kept, the middle as - and +', () => {
  // 20001 x 20001 LCS cells would take gigabytes; the plain diff takes the lines once.
  const recorded = Array.from({ length: 20_000 }, (_, i) => `* ${i} EXISTS`);
  const live = [...recorded.slice(0, 10), 'changed', ...recorded.slice(11)];
  const diff = diffLines(recorded, live);
  assert.equal(diff.length, 20_001);
  assert.deepEqual(diff.filter((d) => d.op !== ' '), [{ op: '-', text: '* 10 EXISTS' }, { op: '+', text: 'changed' }]);
  assert.deepEqual(diff[10], { op: '-', text: '* 10 EXISTS' });
  assert.deepEqual(diff[12], { op: ' ', text: '* 11 EXISTS' });
});
