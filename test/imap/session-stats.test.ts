import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionStatsCollector, summary } from '../../src/imap/session-stats';
import { modelSteps } from './session-harness';
import { rechunk, transcript } from './transcript';

test('summary: nearest-rank median and p95, max; empty is all zero', () => {
  assert.deepEqual(summary([]), { count: 0, medianUs: 0, p95Us: 0, maxUs: 0 });
  assert.deepEqual(summary([5]), { count: 1, medianUs: 5, p95Us: 5, maxUs: 5 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(summary(hundred), { count: 100, medianUs: 50, p95Us: 95, maxUs: 100 });
});

test('collector: an IDLE still open at session end counts as open, its duration up to the end; findings by code', () => {
  const steps = transcript(`
    S: * OK [CAPABILITY IMAP4rev1] ready
    C: a1 IDLE
    S: + idling
    S: * 1 EXISTS
  `);
  const run = modelSteps(rechunk(steps, () => []), (i) => i * 1000);
  const stats = new SessionStatsCollector();
  stats.handle({ type: 'session-open', session: { id: 1, startUs: 0, client: 'c:1', upstream: 's:2', listen: 'l:3' } });
  steps.forEach((s, i) => stats.handle({ type: 'data', session: 1, direction: s.direction, timeUs: i * 1000, bytes: s.bytes, layer: 'wire' }));
  for (const frame of run.frames) stats.handle({ type: 'frame', frame });
  stats.handle({ type: 'session-close', session: 1, timeUs: 10_000, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: 4 });
  const [s] = stats.summaries();
  assert.deepEqual(s.idle, {
    periods: 1, ended: 0, rejected: 0, open: 1, updates: 1,
    durations: { count: 1, medianUs: 9000, p95Us: 9000, maxUs: 9000 }, reIdleGaps: { count: 0, medianUs: 0, p95Us: 0, maxUs: 0 },
  });
  assert.deepEqual(s.commands, [{ command: 'IDLE', count: 1, latency: { count: 0, medianUs: 0, p95Us: 0, maxUs: 0 }, unanswered: 1 }]);
  assert.deepEqual(s.findings, { error: 1, warning: 0, info: 0, byCode: { 'idle-not-advertised': 1 } });
  assert.deepEqual(s.bytes, { wire: { client: 9, server: 57 }, inflated: { client: 0, server: 0 } });
});
