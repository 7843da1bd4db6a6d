import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OldestFirstTable } from '../../src/imap/oldest-first-table';

/** What a Map in insertion order holds, as the reference the table must agree with. */
function agree(table: OldestFirstTable<number>, ref: Map<string, number>, step: string): void {
  assert.equal(table.size, ref.size, `${step}: size`);
  assert.equal(table.oldest, ref.keys().next().value, `${step}: oldest`);
  for (const [k, v] of ref) assert.equal(table.get(k), v, `${step}: get ${k}`);
}

test('oldest-first table: one entry at a time, as a NOOP loop uses it', () => {
  const t = new OldestFirstTable<number>();
  for (let i = 0; i < 5; i++) {
    t.set(`n${i}`, i);
    assert.equal(t.size, 1);
    assert.equal(t.oldest, `n${i}`);
    assert.equal(t.delete(`n${i}`), i);
    assert.equal(t.size, 0);
    assert.equal(t.oldest, undefined);
  }
  assert.equal(t.delete('n0'), undefined);
});

test('oldest-first table: overlapping entries keep insertion order through deletes, replaces and misses', () => {
  // A fixed pseudo-random walk over a few keys, checked against a Map after every step.
  const t = new OldestFirstTable<number>();
  const ref = new Map<string, number>();
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let step = 0; step < 5000; step++) {
    const key = `t${next(6)}`;
    const op = next(3);
    if (op === 0) {
      assert.equal(t.delete(key), ref.get(key), `step ${step}: delete ${key}`);
      ref.delete(key);
    } else {
      t.set(key, step);
      ref.set(key, step);
    }
    agree(t, ref, `step ${step}`);
  }
  // Emptied oldest first, as pairing forgets the oldest command when the table is full.
  while (t.oldest !== undefined) {
    const k = t.oldest;
    assert.equal(t.delete(k), ref.get(k));
    ref.delete(k);
    agree(t, ref, `drain ${k}`);
  }
});
