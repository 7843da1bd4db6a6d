import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleTracker } from '../../src/imap/idle-tracker';
import { allFindings, modelEverySplit, phaseDetail, phases } from './session-harness';
import { transcript } from './transcript';

const ms = (i: number): number => i * 1000;

test('RFC 2177 dialog: requested, accepted, updates, done, ended, re-idle gap, at every split', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: A001 SELECT INBOX
    S: * 3 EXISTS
    S: A001 OK [READ-WRITE] SELECT completed
    C: A002 IDLE
    S: + idling
    S: * 4 EXISTS
    C: DONE
    S: A002 OK IDLE terminated
    C: A004 IDLE
    S: * 2 EXPUNGE
    S: * 3 EXISTS
    S: + idling
    S: * 3 EXPUNGE
    C: DONE
    S: A004 OK IDLE terminated
  `), ms);
  const f = run.frames;
  assert.deepEqual(f.map((x) => phases(x).filter((p) => p.startsWith('idle'))), [
    [], [], [], [], ['idle-requested'], ['idle-accepted'], ['idle-update'], ['idle-done'], ['idle-ended'],
    ['idle-requested'], ['idle-update'], ['idle-update'], ['idle-accepted'], ['idle-update'], ['idle-done'], ['idle-ended'],
  ]);
  assert.deepEqual(phaseDetail(f[4], 'idle-requested'), { tag: 'A002' });
  assert.deepEqual(phaseDetail(f[5], 'idle-accepted'), { tag: 'A002', waitUs: 1000 });
  assert.deepEqual(phaseDetail(f[6], 'idle-update'), { tag: 'A002', n: 1, sinceUs: 2000, verb: 'EXISTS' });
  assert.deepEqual(phaseDetail(f[7], 'idle-done'), { tag: 'A002', sinceUs: 3000, updates: 1 });
  assert.deepEqual(phaseDetail(f[8], 'idle-ended'), { tag: 'A002', status: 'OK', durationUs: 4000, updates: 1, doneSent: true });
  // Updates before the "+" count (the RFC's own example sends EXPUNGE and EXISTS first).
  assert.deepEqual(phaseDetail(f[9], 'idle-requested'), { tag: 'A004', gapUs: 1000 });
  assert.deepEqual(phaseDetail(f[15], 'idle-ended'), { tag: 'A004', status: 'OK', durationUs: 6000, updates: 3, doneSent: true, gapUs: 1000 });
  assert.deepEqual(allFindings(run), []);
});

test('IDLE refused with NO instead of "+" is rejected, not ended', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: a1 IDLE
    S: a1 NO [ALERT] not now
    C: a2 NOOP
    S: a2 OK done
  `), ms);
  assert.deepEqual(phases(run.frames[2]), ['idle-rejected']);
  assert.deepEqual(phaseDetail(run.frames[2], 'idle-rejected'), { tag: 'a1', status: 'NO', waitUs: 1000 });
  assert.deepEqual(phases(run.frames[3]), []);
  assert.deepEqual(allFindings(run), []);
});

test('DONE pipelined with the next IDLE: the first period still ends at its own tagged OK', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: a1 IDLE
    S: + idling
    C: DONE
    C: a2 IDLE
    S: a1 OK done
    S: + idling
    C: DONE
    S: a2 OK done
  `), ms);
  assert.deepEqual(run.frames.map(phases), [
    ['capabilities'], ['idle-requested'], ['idle-accepted'], ['idle-done'], ['idle-requested'], ['idle-ended'],
    ['idle-accepted'], ['idle-done'], ['idle-ended'],
  ]);
  assert.equal(phaseDetail(run.frames[5], 'idle-ended')?.tag, 'a1');
  assert.equal(phaseDetail(run.frames[8], 'idle-ended')?.tag, 'a2');
  assert.deepEqual(allFindings(run), []);
});

test('periods are exposed for stats: duration, updates, gap, outcome; an open one stays open', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: a1 IDLE
    S: + idling
    S: * 1 EXISTS
    S: * 2 EXISTS
    C: DONE
    S: a1 OK done
    C: a2 IDLE
    S: + idling
  `), ms);
  const tracker = new IdleTracker();
  for (const frame of run.frames) tracker.observe(frame);
  assert.deepEqual(tracker.periods, [
    { tag: 'a1', startUs: 1000, acceptedUs: 2000, doneUs: 5000, endUs: 6000, updates: 2, outcome: 'ended', status: 'OK' },
    { tag: 'a2', startUs: 7000, acceptedUs: 8000, updates: 0, outcome: 'open', gapUs: 1000 },
  ]);
  assert.equal(tracker.phase.kind, 'idling');
});
