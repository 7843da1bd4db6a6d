import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidLiteralSize } from '../../src/imap/lint/literal-rules';
import { RULES } from '../../src/imap/lint/rule-catalog';
import { allFindings, findingOn, modelEverySplit } from './session-harness';
import { transcript } from './transcript';

const lint = (text: string): string[] => allFindings(modelEverySplit(transcript(text)));
const GREET = 'S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+ AUTH=PLAIN] ready';

test('the new rules are catalogued with an RFC section', () => {
  for (const code of ['literal-size-invalid', 'done-before-continuation', 'unexpected-continuation', 'pending-commands-forgotten'] as const) {
    assert.match(RULES[code].rfc, /^RFC \d+ [\d.]+$/, code);
  }
});

test('literal-size-invalid: a size past 2^53-1 or number64 is flagged, read exactly, and not framed as a literal', () => {
  const run = modelEverySplit(transcript(`
    ${GREET}
    C: a1 APPEND INBOX {99999999999999999999}
    C: a2 NOOP
    S: a1 BAD literal size too large
    S: a2 OK done
  `));
  assert.deepEqual(allFindings(run), ['literal-size-invalid@1']);
  assert.match(findingOn(run.frames[1], 'literal-size-invalid')?.message ?? '', /99999999999999999999 exceeds number64/);
  // The next line is a command of its own: the framer did not swallow it as a literal body.
  assert.equal(run.frames[2].verb, 'NOOP');
  assert.match(invalidLiteralSize('a {9007199254740992}') ?? '', /9007199254740992 is over 2\^53-1/);
  assert.match(invalidLiteralSize('a {0000000000000000000000000000009007199254740993+}') ?? '', /9007199254740993 is over/);
  assert.match(invalidLiteralSize(`a ~{${'9'.repeat(5000)}}`) ?? '', /a 5000-digit number exceeds number64/);
  assert.equal(invalidLiteralSize('a {9007199254740991}'), undefined);
  assert.equal(invalidLiteralSize('a {00000000000000000000000012+}'), undefined);
  assert.equal(invalidLiteralSize('a1 LOGIN {5}'), undefined);
});

test('literal-size-invalid: also in a server response; ordinary literals raise nothing', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 FETCH 1 BODY[]
    S: * 1 FETCH (BODY[] {18446744073709551616}
    S: a1 OK done
  `), ['literal-size-invalid@2']);
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 APPEND INBOX {3+}
    C: abc
    S: a1 OK done
    C: a2 FETCH 1 BODY[]
    S: * 1 FETCH (BODY[] {3}
    S: abc)
    S: a2 OK done
  `), []);
});

test('done-before-continuation: DONE before the server\'s "+"; none after it', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    C: DONE
    S: + idling
    S: a1 OK done
  `), ['done-before-continuation@2']);
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 IDLE
    S: + idling
    C: DONE
    S: a1 OK done
  `), []);
});

test('unexpected-continuation: "+" with nothing waiting; none for a synchronizing literal, AUTHENTICATE or IDLE', () => {
  assert.deepEqual(lint(`
    ${GREET}
    S: + hello
    C: a1 NOOP
    S: + again
    S: a1 OK done
    C: a2 APPEND INBOX {3+}
    C: abc
    S: + not asked for
    S: a2 OK done
  `), ['unexpected-continuation@1', 'unexpected-continuation@3', 'unexpected-continuation@6']);
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 LOGIN {5}
    S: + ready
    C: alice {6}
    S: + ready
    C: secret
    S: a1 OK done
    C: a2 AUTHENTICATE PLAIN
    S: +
    C: AGFsaWNlAHNlY3JldA==
    S: a2 OK done
    C: a3 IDLE
    S: + idling
    C: DONE
    S: a3 OK done
  `), []);
});

test('unexpected-continuation: a second "+" for one literal, and a "+" after the server refused the literal', () => {
  assert.deepEqual(lint(`
    ${GREET}
    C: a1 LOGIN {5}
    S: + ready
    S: + ready again
    C: alice {6}
    S: a1 NO refused
    S: + late
  `), ['unexpected-continuation@3', 'unexpected-continuation@6']);
});
