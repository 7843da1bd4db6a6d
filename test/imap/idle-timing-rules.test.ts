import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_IDLE_THRESHOLDS, parseDuration } from '../../src/imap/idle-thresholds';
import { brief, watchEverySplit } from './watch-harness';

const MIN = 60_000;

/** One session idling from 2 ms on (accepted at 3 ms). */
const IDLING = `
  0 #1 S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
  1 #1 C: a1 SELECT INBOX
  1 #1 S: a1 OK [READ-WRITE] done
  2 #1 C: a2 IDLE
  3 #1 S: + idling`;

test('parseDuration: 500ms, 30s, 10m, 1h, a bare number in seconds; junk and zero refused', () => {
  assert.equal(parseDuration('500ms'), 500_000);
  assert.equal(parseDuration('30s'), 30_000_000);
  assert.equal(parseDuration('10m'), 600_000_000);
  assert.equal(parseDuration('1h'), 3_600_000_000);
  assert.equal(parseDuration('1.5'), 1_500_000);
  for (const bad of ['', '0', '0s', '-1s', '10x', 's', '1e3', '10 m m']) assert.equal(parseDuration(bad), undefined, bad);
});

test('idle-silent: nothing either way for more than 10 min, found at the next frame and timed at the threshold', () => {
  const out = watchEverySplit(`${IDLING}
    ${3 + 11 * MIN} #1 C: DONE
    ${4 + 11 * MIN} #1 S: a2 OK idle done`);
  assert.deepEqual(brief(out), [`idle-silent #1 @${3 + 10 * MIN} warning`]);
});

test('idle-silent: keepalives every 5 min keep it quiet; a custom threshold makes 6 min silent', () => {
  const dialog = `${IDLING}
    ${5 * MIN} #1 S: * OK Still here
    ${10 * MIN} #1 S: * OK Still here
    ${14 * MIN} #1 C: DONE
    ${14 * MIN + 1} #1 S: a2 OK idle done`;
  assert.deepEqual(watchEverySplit(dialog), []);
  const strict = watchEverySplit(dialog, { ...DEFAULT_IDLE_THRESHOLDS, silentUs: 3 * MIN * 1000 });
  assert.deepEqual(brief(strict), [`idle-silent #1 @${3 + 3 * MIN} warning`]);
});

test('idle-silent: live, the timer finds it while silent, once; the session end finds it offline', () => {
  const live = watchEverySplit(`${IDLING}
    ${5 * MIN} tick
    ${10 * MIN + 4} tick
    ${20 * MIN} tick
    ${21 * MIN} #1 close proxy-shutdown`);
  assert.deepEqual(brief(live), [`idle-silent #1 @${3 + 10 * MIN} warning`]);
  const offline = watchEverySplit(`${IDLING}
    ${21 * MIN} #1 close proxy-shutdown`);
  assert.deepEqual(brief(offline), [`idle-silent #1 @${3 + 10 * MIN} warning`]);
});

test('idle-connection-lost: which side, reset or closed; not after BYE, not at proxy shutdown, not outside IDLE', () => {
  const cases: Array<[string, string[], RegExp?]> = [
    ['close reset-client', ['idle-connection-lost #1 @9 warning'], /without a BYE: the client's side failed: read ECONNRESET/],
    ['close reset-server', ['idle-connection-lost #1 @9 warning'], /the server's side failed/],
    ['close server-closed', ['idle-connection-lost #1 @9 warning'], /without a BYE: the server closed the connection/],
    ['close client-closed', ['idle-connection-lost #1 @9 warning'], /the client closed the connection/],
    ['close proxy-shutdown', []],
  ];
  for (const [close, expected, message] of cases) {
    const out = watchEverySplit(`${IDLING}\n9 #1 ${close}`);
    assert.deepEqual(brief(out), expected, close);
    if (message) assert.match(out[0], message);
  }
  assert.deepEqual(watchEverySplit(`${IDLING}\n8 #1 S: * BYE Disconnected for inactivity\n9 #1 close server-closed`), []);
  assert.deepEqual(watchEverySplit(`${IDLING}\n5 #1 C: DONE\n6 #1 S: a2 OK done\n9 #1 close server-closed`), []);
});

test('done-unanswered: DONE and no tagged response within 30 s; an answer in 1 s is fine', () => {
  const late = watchEverySplit(`${IDLING}
    10 #1 C: DONE
    40011 #1 S: a2 OK idle done`);
  assert.deepEqual(brief(late), ['done-unanswered #1 @30010 warning']);
  assert.deepEqual(watchEverySplit(`${IDLING}\n10 #1 C: DONE\n1010 #1 S: a2 OK idle done`), []);
});

test('push-gap: after IDLE ends, no IDLE nor command for over 60 s; polling with NOOP or re-idling at once is fine', () => {
  const gap = watchEverySplit(`${IDLING}
    10 #1 C: DONE
    11 #1 S: a2 OK idle done
    90011 #1 C: a3 IDLE
    90012 #1 S: + idling`);
  assert.deepEqual(brief(gap), ['push-gap #1 @60011 warning']);
  const polling = watchEverySplit(`${IDLING}
    10 #1 C: DONE
    11 #1 S: a2 OK idle done
    40000 #1 C: a3 NOOP
    40001 #1 S: a3 OK done
    80000 #1 C: a4 STATUS INBOX (MESSAGES)
    80001 #1 S: a4 OK done
    90000 #1 C: a5 IDLE
    90001 #1 S: + idling`);
  assert.deepEqual(polling, []);
});

/** `n` IDLEs of `lengthMs` each, ended by DONE, with or without an update, one after another. */
function idles(n: number, lengthMs: number, update: boolean): string {
  let t = 10;
  let s = '0 #1 S: * OK [CAPABILITY IMAP4rev1 IDLE] ready\n';
  for (let i = 0; i < n; i++) {
    s += `${t} #1 C: i${i} IDLE\n${t + 1} #1 S: + idling\n`;
    if (update) s += `${t + 2} #1 S: * ${i + 1} EXISTS\n`;
    s += `${t + lengthMs} #1 C: DONE\n${t + lengthMs + 1} #1 S: i${i} OK done\n`;
    t += lengthMs + 10;
  }
  return s;
}

test('idle-churn: 5 IDLEs in a row of under 30 s with no update, once; not 4, not with updates, not 30 s ones', () => {
  const churn = watchEverySplit(idles(7, 1000, false));
  assert.deepEqual(brief(churn), ['idle-churn #1 @5051 info']);
  assert.deepEqual(watchEverySplit(idles(4, 1000, false)), []);
  assert.deepEqual(watchEverySplit(idles(6, 1000, true)), []);
  assert.deepEqual(watchEverySplit(idles(6, 30_000, false)), []);
});
