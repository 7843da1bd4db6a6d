import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_IDLE_THRESHOLDS } from '../../src/imap/idle-thresholds';
import { brief, watchEverySplit } from './watch-harness';

/** Session #1 logs in as `user`, selects `mailbox` and idles from 7 ms. */
function idler(user: string, mailbox: string, id = 1): string {
  return `
    0 #${id} S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] ready
    1 #${id} C: a1 LOGIN ${user} secret
    2 #${id} S: a1 OK logged in
    3 #${id} C: a2 SELECT ${mailbox}
    4 #${id} S: * 4 EXISTS
    5 #${id} S: a2 OK [READ-WRITE] done
    6 #${id} C: a3 IDLE
    7 #${id} S: + idling`;
}

/** Session #2 logs in as `user` and appends to `mailbox`, OK at 14 ms. */
function appender(user: string, mailbox: string): string {
  return `
    10 #2 S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] ready
    11 #2 C: b1 LOGIN ${user} secret
    12 #2 S: b1 OK logged in
    13 #2 C: b2 APPEND ${mailbox} {3+}
    13 #2 C: abc
    14 #2 S: b2 OK [APPENDUID 1 5] done`;
}

test('push-heard: the EXISTS session #1 gets 41 ms after session #2\'s APPEND OK, at every split', () => {
  const out = watchEverySplit(`${idler('bob', 'INBOX')}${appender('bob', 'inbox')}
    55 #1 S: * 5 EXISTS
    60 #1 C: DONE
    61 #1 S: a3 OK idle done
    62 #1 close client-closed
    63 #2 close client-closed`);
  assert.deepEqual(out, ['heard #1 frame 9: from #2 frame 5 APPEND INBOX 41ms']);
});

test('push-heard: STORE and EXPUNGE in the selected mailbox reach the idler as FETCH and EXPUNGE', () => {
  const out = watchEverySplit(`${idler('bob', 'Work')}
    10 #2 S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    11 #2 C: b1 LOGIN bob secret
    12 #2 S: b1 OK logged in
    13 #2 C: b2 SELECT Work
    14 #2 S: b2 OK [READ-WRITE] done
    15 #2 C: b3 STORE 1 +FLAGS (\\Seen)
    16 #2 S: * 1 FETCH (FLAGS (\\Seen))
    17 #2 S: b3 OK done
    20 #1 S: * 1 FETCH (FLAGS (\\Seen))
    30 #2 C: b4 UID EXPUNGE 1
    31 #2 S: * 1 EXPUNGE
    32 #2 S: b4 OK done
    40 #1 S: * 1 EXPUNGE`);
  assert.deepEqual(out, [
    'heard #1 frame 9: from #2 frame 8 STORE Work 3ms',
    'heard #1 frame 10: from #2 frame 11 UID EXPUNGE Work 8ms',
  ]);
});

test('push-heard: an update that overtakes the APPEND OK is related to the command, marked before OK', () => {
  const out = watchEverySplit(`${idler('bob', 'INBOX')}
    10 #2 S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] ready
    11 #2 C: b1 LOGIN bob secret
    12 #2 S: b1 OK logged in
    13 #2 C: b2 APPEND INBOX {3+}
    13 #2 C: abc
    15 #1 S: * 5 EXISTS
    16 #2 S: b2 OK done
    20 #1 C: DONE
    21 #1 S: a3 OK idle done`);
  // Heard before the OK: no push-unheard when #1 then stops idling.
  assert.deepEqual(out, ['heard #1 frame 9: from #2 frame 4 APPEND INBOX 2ms before OK']);
});

test('push-unheard (info): the user idles only on another mailbox, decided at the OK whatever the timeout', () => {
  const out = watchEverySplit(`${idler('bob', 'Archive')}${appender('bob', 'INBOX')}`);
  assert.deepEqual(brief(out), ['push-unheard #2 @14 info']);
  assert.match(out[0], /APPEND into INBOX answered OK, but no session of this user idles on INBOX \(#1 idles on another mailbox\)/);
});

test('push-unheard (warning): the idler on the mailbox stops idling without an update', () => {
  const out = watchEverySplit(`${idler('bob', 'INBOX')}${appender('bob', 'INBOX')}
    20 #1 C: DONE
    21 #1 S: a3 OK idle done`);
  assert.deepEqual(brief(out), ['push-unheard #2 @21 warning']);
  assert.match(out[0], /#1, idling on INBOX, got no update before session #1 stopped idling/);
});

test('push-unheard (warning): the idler is closed without an update', () => {
  const out = watchEverySplit(`${idler('bob', 'INBOX')}${appender('bob', 'INBOX')}
    20 #1 close client-closed`);
  assert.deepEqual(brief(out).filter((l) => l.startsWith('push')), ['push-unheard #2 @20 warning']);
});

test('push-unheard: past --push-timeout by the event times (any session\'s frame, or the live tick)', () => {
  const limits = { ...DEFAULT_IDLE_THRESHOLDS, pushTimeoutUs: 1_000_000 };
  const byFrame = watchEverySplit(`${idler('bob', 'INBOX')}${appender('bob', 'INBOX')}
    900 #2 C: b3 NOOP
    1014 #2 C: b4 NOOP
    1100 #1 S: * 5 EXISTS`, limits);
  // 1014 ms is not past 14 ms + 1 s; 1100 ms is: found, timed at the deadline; the late update relates to nothing.
  assert.deepEqual(brief(byFrame), ['push-unheard #2 @1014 warning']);
  const byTick = watchEverySplit(`${idler('bob', 'INBOX')}${appender('bob', 'INBOX')}
    1000 tick
    1015 tick
    2000 tick`, limits);
  assert.deepEqual(brief(byTick), ['push-unheard #2 @1014 warning']);
});

test('no relation across users, nor from a session to itself, nor for a failed APPEND', () => {
  const out = watchEverySplit(`${idler('bob', 'INBOX')}${appender('alice', 'INBOX')}
    30 #1 S: * 5 EXISTS
    40 #2 C: b3 APPEND INBOX {3+}
    40 #2 C: xyz
    41 #2 S: b3 NO [OVERQUOTA] full
    50 #1 C: DONE
    51 #1 S: a3 OK idle done
    52 #1 C: a4 APPEND INBOX {3+}
    52 #1 C: abc
    53 #1 S: * 6 EXISTS
    53 #1 S: a4 OK done
    54 #1 C: a5 IDLE
    55 #1 S: + idling
    56 #1 S: * 7 EXISTS`);
  assert.deepEqual(out, []);
});
