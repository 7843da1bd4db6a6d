import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/imap/frame';
import { allFindings, modelEverySplit } from './session-harness';
import { transcript } from './transcript';

const GREET = 'S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready';
const shape = (f: Frame): string => `${f.direction === 'client' ? 'C' : 'S'} ${f.kind} ${f.tag ?? ''} ${f.verb ?? ''} @${f.offset}+${f.length}`;
const pairOf = (f: Frame): string | undefined => {
  for (const a of f.annotations) if (a.kind === 'pair') return `${a.command}#${a.commandSeq}`;
  return undefined;
};

test('a tagged NO before the LITERAL+ body: the command comes first, is paired, the body follows as its continuation', () => {
  const run = modelEverySplit(transcript(`
    ${GREET}
    C: a1 APPEND nosuchbox {5+}
    S: a1 NO [TRYCREATE] Mailbox doesn't exist: nosuchbox
    C: hello
    C: a2 NOOP
    S: a2 OK done
  `));
  assert.deepEqual(run.frames.map(shape), [
    'S greeting  OK @0+44',
    'C command a1 APPEND @0+26',
    'S tagged a1 NO @44+52',
    'C command-continuation a1 APPEND @26+7',
    'C command a2 NOOP @33+9',
    'S tagged a2 OK @96+12',
  ]);
  assert.equal(pairOf(run.frames[2]), 'APPEND#2');
  assert.deepEqual(allFindings(run), []);
});

test('a tagged NO while the LITERAL+ body is half sent: the cut is before the literal, which goes whole to the continuation', () => {
  const run = modelEverySplit(transcript(`
    ${GREET}
    C: a1 APPEND nosuchbox {10+}
    C:. hello
    S: a1 NO [TRYCREATE] no such mailbox
    C: world
  `));
  assert.deepEqual(run.frames.map(shape), [
    'S greeting  OK @0+44',
    'C command a1 APPEND @0+27',
    'S tagged a1 NO @44+35',
    'C command-continuation a1 APPEND @27+12',
  ]);
  const body = run.frames[3].parts[0];
  assert.equal(body.type === 'literal' ? `${body.literal.received}/${body.literal.size} ${body.literal.preview}` : body.type, '10/10 helloworld');
  assert.equal(pairOf(run.frames[2]), 'APPEND#2');
  assert.deepEqual(allFindings(run), []);
});

test('a tagged NO after the literal, mid-way through the rest of the line: the cut is after the literal', () => {
  const run = modelEverySplit(transcript(`
    ${GREET}
    C: a1 APPEND nosuchbox (\\Seen) {3+}
    C:. abc {
    S: a1 NO [TRYCREATE] no such mailbox
    C: 2+}
    C: de
  `));
  assert.deepEqual(run.frames.map(shape), [
    'S greeting  OK @0+44',
    'C command a1 APPEND @0+37',
    'S tagged a1 NO @44+35',
    'C command-continuation a1 APPEND @37+11',
  ]);
  assert.deepEqual(allFindings(run), []);
});

test('responses to other tags, and untagged ones, do not cut a command in progress', () => {
  const run = modelEverySplit(transcript(`
    ${GREET}
    C: a0 NOOP
    C: a1 APPEND INBOX {5+}
    S: * 3 EXISTS
    S: a0 OK done
    C: hello
    S: a1 OK [APPENDUID 1 3] done
  `));
  assert.deepEqual(run.frames.map((f) => `${f.kind} ${f.tag ?? ''}`), ['greeting ', 'command a0', 'untagged ', 'tagged a0', 'command a1', 'tagged a1']);
  assert.deepEqual(allFindings(run), []);
});
