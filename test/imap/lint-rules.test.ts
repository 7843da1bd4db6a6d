import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RULES } from '../../src/imap/lint/rule-catalog';
import { allFindings, findingOn, modelEverySplit, type ModelRun } from './session-harness';
import { transcript } from './transcript';

const lint = (text: string, timeOf?: (step: number) => number): string[] => allFindings(modelEverySplit(transcript(text), timeOf));
const run = (text: string, timeOf?: (step: number) => number): ModelRun => modelEverySplit(transcript(text), timeOf);
const GREET = 'S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+ SASL-IR] ready';
const MIN = 60 * 1_000_000;

test('a clean session raises nothing', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 LOGIN alice secret
    S: a1 OK Logged in
    C: a2 SELECT INBOX
    S: * 2 EXISTS
    S: a2 OK [READ-WRITE] done
    C: a3 APPEND INBOX {3+}
    C: abc
    S: a3 OK done
    C: a4 IDLE
    S: + idling
    S: * 3 EXISTS
    C: DONE
    S: a4 OK done
    C: a5 LOGOUT
    S: * BYE logging out
    S: a5 OK done
  `), []);
});

test('idle-not-advertised: error against a known list, warning when none was seen, silent when advertised', () => {
  const known = run(`
    S: * OK [CAPABILITY IMAP4rev1] ready
    C: a1 IDLE
  `);
  assert.equal(findingOn(known.frames[1], 'idle-not-advertised')?.level, 'error');
  const unknown = run(`
    S: * OK ready
    C: a1 IDLE
  `);
  assert.equal(findingOn(unknown.frames[1], 'idle-not-advertised')?.level, 'warning');
  assert.deepEqual(lint(`
    S: * OK ready
    C: a0 CAPABILITY
    S: * CAPABILITY IMAP4rev1 IDLE
    S: a0 OK done
    C: a1 IDLE
  `), []);
});

test('command-during-idle: a command while the server waits for DONE; none after DONE or before "+"', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    S: + idling
    C: a2 NOOP
    S: a1 BAD Expected DONE.
  `), ['command-during-idle@3', 'idle-ended-before-done@4']);
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    C: a2 NOOP
    S: + idling
    C: DONE
    C: a3 NOOP
    S: a1 OK done
  `), []);
});

test('done-outside-idle: DONE with no IDLE, a second DONE', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: DONE
    C: a1 IDLE
    S: + idling
    C: DONE
    C: DONE
    S: a1 OK done
  `), ['done-outside-idle@1', 'done-outside-idle@5']);
});

test('idle-too-long: over 29 minutes flagged once, at the first frame past the limit or at session end', () => {
  const times = [0, 1, 2, 30 * MIN, 31 * MIN, 32 * MIN];
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    S: + idling
    S: * OK Still here
    C: DONE
    S: a1 OK done
  `, (i) => times[i] ?? 40 * MIN), ['idle-too-long@3', 'idle-keepalive@3']);
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    S: + idling
    C: DONE
    S: a1 OK done
  `, (i) => (i < 3 ? i : 28 * MIN + i)), []);
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    S: + idling
  `, (i) => (i < 3 ? i : 45 * MIN)), ['idle-too-long@end']);
});

test('idle-ended-before-done: the tagged response before DONE; an OK without "+" too', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    S: + idling
    S: a1 OK early
    C: a2 IDLE
    S: a2 OK no plus
  `), ['idle-ended-before-done@3', 'idle-ended-before-done@5']);
});

test('idle-keepalive: untagged OK without a code during IDLE only', () => {
  const r = run(`
    ${GREET}
    C: a1 IDLE
    S: + idling
    S: * OK Still here
    S: * OK [ALERT] maintenance soon
    C: DONE
    S: a1 OK done
    S: * OK not idling
  `);
  assert.deepEqual(allFindings(r), ['idle-keepalive@3']);
  assert.equal(findingOn(r.frames[3], 'idle-keepalive')?.level, 'info');
});

test('framer and pairing findings flow through the model: sync literal before "+", tag reuse, unknown tag, bad greeting', () => {
  assert.deepEqual(lint(`
    S: hello
    C: a1 LOGIN {5}
    C:. alice x
    C:
    S: a1 OK done
    C: a2 NOOP
    C: a2 NOOP
    S: a2 OK done
    S: zz OK stray
  `), ['bad-greeting@0', 'sync-literal-before-continuation@2', 'tag-reused@5', 'unknown-tag@7']);
  assert.deepEqual(lint(`
    S: * OK ready
    C: a1 LOGIN {5}
    S: + go
    C: alice x
    S: a1 OK done
  `), []);
});

test('non-sync literals: LITERAL- allows 4096 bytes, LITERAL+ any, neither none; unknown capabilities are not judged', () => {
  const big = 'x'.repeat(5000);
  const ok4096 = 'y'.repeat(4096);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 LITERAL-] ready
    C: a1 APPEND INBOX {5000+}
    C: ${big}
    C: a2 APPEND INBOX {4096+}
    C: ${ok4096}
  `), ['non-sync-literal-too-large@1']);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready
    C: a1 APPEND INBOX {5000+}
    C: ${big}
  `), []);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1] ready
    C: a1 APPEND INBOX {3+}
    C: abc
  `), ['non-sync-literal-not-advertised@1']);
  assert.deepEqual(lint(`
    S: * OK ready
    C: a1 APPEND INBOX {3+}
    C: abc
  `), []);
});

test('literal-truncated: the connection ends inside a literal', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 FETCH 1 BODY[]
    S: * 1 FETCH (BODY[] {100}
    S:. only a part
  `), ['literal-truncated@2']);
});

test('bare-lf: client or server line ended by LF alone; CRLF is clean', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C:~ a1 NOOP
    S:~ a1 OK done
    C: a2 NOOP
    S: a2 OK done
  `), ['bare-lf@1', 'bare-lf@2']);
});

test('command-after-bye: a command after the server said BYE', () => {
  assert.deepEqual(lint(`
    ${GREET}
    S: * BYE Server shutting down
    C: a1 NOOP
  `), ['command-after-bye@2']);
});

test('EXPUNGE: not while no command is in progress, nor during FETCH/STORE/SEARCH; fine during NOOP, IDLE, UID FETCH', () => {
  assert.deepEqual(lint(`
    ${GREET}
    S: * 1 EXPUNGE
    C: a1 FETCH 1 FLAGS
    S: * 1 EXPUNGE
    S: a1 OK done
    C: a2 UID FETCH 1 FLAGS
    S: * 1 EXPUNGE
    S: a2 OK done
    C: a3 NOOP
    S: * 1 EXPUNGE
    S: a3 OK done
    C: a4 IDLE
    S: + idling
    S: * 1 EXPUNGE
    C: DONE
    S: a4 OK done
  `), ['expunge-without-command@1', 'expunge-during-fetch-store-search@3']);
});

test('login-disabled and sasl-ir-not-advertised are judged against the capabilities in force', () => {
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] ready
    C: a1 LOGIN alice secret
    S: a1 NO disabled
    C: a2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
    S: a2 OK done
  `), ['login-disabled@1', 'sasl-ir-not-advertised@3']);
  assert.deepEqual(lint(`
    ${GREET}
    C: a2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
    S: a2 OK done
  `), []);
});

test('every catalogued code has a level and an RFC section (or "imapdbg" for its own lab findings)', () => {
  for (const [code, rule] of Object.entries(RULES)) {
    for (const ref of rule.rfc.split(', ')) assert.match(ref, /^(?:RFC \d+(?: [\d.]+| [A-Z]| \([a-z ]+\))?|imapdbg)$/, code);
    assert.ok(['error', 'warning', 'info'].includes(rule.level), code);
  }
});
