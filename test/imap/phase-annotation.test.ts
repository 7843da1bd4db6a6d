// Each tracker's table (name -> detail fields) is both the TypeScript type of its phases and the
// check a capture's phase must pass: every phase the trackers make must read back typed, unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Annotation } from '../../src/imap/frame';
import { checkedPhase } from '../../src/imap/phase-annotation';
import { PushLatencyCorrelator } from '../../src/imap/push-latency';
import { modelSteps } from './session-harness';
import { rechunk, transcript } from './transcript';

const b64 = (t: string): string => Buffer.from(t).toString('base64');

function phasesOf(dialog: string): Annotation[] {
  return modelSteps(rechunk(transcript(dialog), () => []), (i) => 1_000 + i * 1000).frames.flatMap((f) => f.annotations);
}

function readBack(a: Annotation): unknown {
  if (a.kind !== 'phase') return a;
  const stored: unknown = JSON.parse(JSON.stringify({ phase: a.phase, detail: a.detail }));
  const r = stored as { phase: unknown; detail: unknown };
  return checkedPhase(r.phase, r.detail);
}

test('every phase the trackers make reads back from its stored form as the same typed phase', () => {
  const made = [
    ...phasesOf(`
      S: * OK [CAPABILITY IMAP4rev1 STARTTLS IDLE AUTH=PLAIN AUTH=LOGIN AUTH=SCRAM-SHA-256 COMPRESS=DEFLATE ENABLE] ready
      C: a0 STARTTLS
      S: a0 OK go
      C: a1 AUTHENTICATE LOGIN
      S: + ${b64('Username:')}
      C: ${b64('alice')}
      S: + ${b64('Password:')}
      C: *
      S: a1 BAD aborted
      C: a2 AUTHENTICATE SCRAM-SHA-256 ${b64('n,,n=alice,r=abc')}
      S: a2 NO [AUTHENTICATIONFAILED] no
      C: a3 LOGIN alice secret
      S: a3 OK [CAPABILITY IMAP4rev1 IDLE COMPRESS=DEFLATE ENABLE UTF8=ACCEPT] in
      C: a4 ENABLE UTF8=ACCEPT
      S: * ENABLED UTF8=ACCEPT
      S: a4 OK enabled
      C: a5 SELECT "Entw&APw-rfe"
      S: * 3 EXISTS
      S: * OK [UIDVALIDITY 7] ok
      S: a5 OK [READ-WRITE] selected
      C: a6 UID SEARCH RETURN (MIN COUNT) ALL
      S: * ESEARCH (TAG "a6") UID MIN 1 COUNT 3
      S: a6 OK searched
      S: * 2 EXPUNGE
      S: * 4 EXISTS
      S: * OK [UIDVALIDITY 8] changed
      C: a7 IDLE
      S: + idling
      S: * 5 EXISTS
      C: DONE
      S: a7 OK done
      C: a8 IDLE
      S: a8 NO not now
      C: a9 CLOSE
      S: a9 OK closed
      C: b1 EXAMINE Nope
      S: b1 NO no such mailbox
      C: b2 COMPRESS DEFLATE
      S: b2 NO [COMPRESSIONACTIVE] already
      C: b3 COMPRESS DEFLATE
      S: b3 OK compressing
    `),
    ...phasesOf('S: * PREAUTH [CAPABILITY IMAP4rev1] hi'),
  ];
  // push-heard: a change in one session heard by another idling on the mailbox.
  const push = new PushLatencyCorrelator(60_000_000);
  const events = [1, 2].flatMap((s) => {
    const frames = modelSteps(rechunk(transcript(s === 1 ? `
      S: * OK ready
      C: a1 LOGIN alice x
      S: a1 OK in
      C: a2 SELECT INBOX
      S: a2 OK [READ-WRITE] selected
      C: a3 IDLE
      S: + idling
    ` : `
      S: * OK ready
      C: b1 LOGIN alice x
      S: b1 OK in
      C: b2 APPEND INBOX {1+}
      S: b2 OK appended
    `), () => []), (i) => (s === 1 ? i : 100 + i)).frames;
    return frames.map((f) => ({ ...f, session: s }));
  });
  push.observe({ type: 'session-open', session: { id: 1, startUs: 0, client: 'c', upstream: 'u', listen: 'l' } });
  push.observe({ type: 'session-open', session: { id: 2, startUs: 0, client: 'c', upstream: 'u', listen: 'l' } });
  for (const frame of events.sort((a, b) => a.timeUs - b.timeUs)) push.observe({ type: 'frame', frame });
  const heard = push.observe({ type: 'frame', frame: { ...events[0], seq: 99, timeUs: 500, kind: 'untagged', verb: 'EXISTS', direction: 'server', annotations: [] } }).annotations;
  const names = new Set([...made, ...heard].flatMap((a) => (a.kind === 'phase' ? [a.phase] : [])));
  assert.deepEqual([...names].sort(), [
    'auth-cancelled', 'auth-challenge', 'auth-failed', 'auth-response', 'auth-started', 'auth-succeeded', 'capabilities', 'capabilities-discarded',
    'compress-active', 'compress-refused', 'compress-requested', 'extensions-enabled', 'idle-accepted', 'idle-done', 'idle-ended',
    'idle-rejected', 'idle-requested', 'idle-update', 'mailbox-closed', 'mailbox-exists', 'mailbox-expunge', 'mailbox-opening',
    'mailbox-select-failed', 'mailbox-selected', 'push-heard', 'sasl', 'search-results', 'uidvalidity-changed',
  ]);
  for (const a of [...made, ...heard]) assert.deepEqual(readBack(a), a);
});
