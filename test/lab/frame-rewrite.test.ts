import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/imap/frame';
import { replaceInFrame, type TextEdit } from '../../src/lab/frame-rewrite';
import { DOVECOT_IDLE_SESSION, DOVECOT_SESSION } from './dovecot-transcripts';
import { framesWithBytes, frameWhere, reframe, type FramedBytes } from './framed';
import { prng, transcript } from '../imap/transcript';

const session = framesWithBytes(DOVECOT_SESSION);
const fetch = frameWhere(session, (f) => f.kind === 'untagged' && f.verb === 'FETCH');

function edit(pattern: RegExp, replacement: string): TextEdit {
  return { pattern, replacement };
}

function literalSizes(frame: Frame): number[] {
  return frame.parts.flatMap((p) => (p.type === 'literal' ? [p.literal.size] : []));
}

/** The rewrite, checked to re-frame as one complete frame of the same direction. */
function rewritten(f: FramedBytes, edits: TextEdit[]): { text: string; frame: Frame; matches: number[]; refused: string[] } {
  const r = replaceInFrame(f.frame, f.bytes, edits);
  assert.ok(r, 'something changed');
  const again = reframe(f.frame.direction, r.bytes);
  assert.ok(again.complete, `well framed: ${JSON.stringify(r.bytes.toString('latin1'))}`);
  assert.equal(again.frames.length, 1);
  return { text: r.bytes.toString('latin1'), frame: again.frames[0], matches: r.matches, refused: r.refused };
}

test('a Dovecot FETCH with two literals: the subject replaced in both bodies, both {N} follow the new sizes', () => {
  assert.deepEqual(literalSizes(fetch.frame), [24, 125]);
  const r = rewritten(fetch, [edit(/Subject: .*/, 'Subject: changed by imapdbg')]);
  assert.deepEqual(r.matches, [2]);
  assert.deepEqual(r.refused, []);
  assert.deepEqual(literalSizes(r.frame), [24 + 7, 125 + 7]);
  assert.equal(r.text, '* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {31}\r\nSubject: changed by imapdbg\r\n\r\n BODY[] {132}\r\n'
    + 'From: Alice <alice@localhost>\r\nTo: Bob <bob@localhost>\r\nSubject: changed by imapdbg\r\nMessage-ID: <1@imapdbg.test>\r\n\r\nBody line one\r\n)\r\n');
});

test('lines are searched without their CRLF and without the {N} that ends them; bodies can shrink to nothing', () => {
  const r = rewritten(fetch, [edit(/\d+/g, 'N')]);
  // `UID 1` and `* 1` in the first line, nothing in the `{24}`; the second line ` BODY[] {125}` has none left to match.
  assert.match(r.text, /^\* N FETCH \(UID N BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{24\}\r\n/);
  assert.match(r.text, / BODY\[\] \{125\}\r\n/);
  assert.deepEqual(r.matches, [3]); // `* 1`, `UID 1`, and the `1` of `<1@imapdbg.test>`
  const emptied = rewritten(fetch, [edit(/[\s\S]+/, '')]);
  assert.deepEqual(literalSizes(emptied.frame), [0, 0]);
  assert.equal(emptied.text, '{0}\r\n{0}\r\n\r\n', 'each line and body emptied; the announcements and CRLFs kept');
});

test('edits apply one after the other on each part, with their own match counts; no match at all gives undefined', () => {
  const r = rewritten(fetch, [edit(/hello/g, 'goodbye'), edit(/goodbye rules/g, 'bye'), edit(/nothing here/, 'x')]);
  assert.deepEqual(r.matches, [2, 2, 0]);
  assert.deepEqual(literalSizes(r.frame), [24 - 8, 125 - 8]);
  assert.equal(replaceInFrame(fetch.frame, fetch.bytes, [edit(/XYZZY/, 'x')]), undefined);
  assert.equal(replaceInFrame(fetch.frame, fetch.bytes, [edit(/rules/, 'rules')]), undefined, 'same bytes: nothing changed');
  assert.equal(replaceInFrame(fetch.frame, fetch.bytes.subarray(1), [edit(/a/, 'b')]), undefined, 'bytes that are not the frame');
});

test('without the g flag one match per line and per body; $1 and $& work as in JavaScript', () => {
  const r = rewritten(fetch, [edit(/(Subject): (\w+)/, '$1: [$2] $&')]);
  assert.match(r.text, /\r\nSubject: \[hello\] Subject: hello rules\r\n/);
  assert.equal(r.matches[0], 2);
});

test('BINARY ~{N} and LITERAL+ {N+} keep their form; a client APPEND with {N+} is rewritten whole', () => {
  const framed = framesWithBytes(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 LITERAL+ BINARY] ready
    C: a1 APPEND INBOX {11+}
    C: hello world
    S: a1 OK done
    C: a2 FETCH 1 BINARY[1]
    S: * 1 FETCH (BINARY[1] ~{5}
    S: ab
    S: )
    S: a2 OK done`));
  const append = frameWhere(framed, (f) => f.kind === 'command' && f.verb === 'APPEND');
  const a = rewritten(append, [edit(/world/, 'there, world')]);
  assert.equal(a.text, 'a1 APPEND INBOX {18+}\r\nhello there, world\r\n');
  const binary = frameWhere(framed, (f) => f.kind === 'untagged' && f.verb === 'FETCH');
  const b = rewritten(binary, [edit(/ab/, 'abc')]);
  assert.equal(b.text, '* 1 FETCH (BINARY[1] ~{6}\r\nabc\r\n)\r\n');
});

test('refused to keep the frame well framed: a line end put into a line, a new {N} at a line end, a size change of a literal announced in another frame', () => {
  const lineEnd = replaceInFrame(fetch.frame, fetch.bytes, [edit(/UID 1/, 'UID 1\r\n* 2 EXISTS')]);
  assert.equal(lineEnd, undefined, 'the only match was refused: nothing changed');
  const announce = replaceInFrame(fetch.frame, fetch.bytes, [edit(/\)$/, '{3}'), edit(/hello/, 'bye')]);
  assert.ok(announce);
  assert.deepEqual(announce.refused, ['part 5 (a line): the new line would end in a literal announcement']);
  assert.deepEqual(announce.matches, [0, 2], 'a refused part counts no match');
  assert.ok(reframe('server', announce.bytes).complete);

  // A synchronizing literal: the command is cut at `{11}`, the body comes in the next frame after `+`.
  const framed = framesWithBytes(transcript(`
    S: * OK ready
    C: a1 APPEND INBOX {11}
    S: + go
    C: hello world
    S: a1 OK done`));
  const head = frameWhere(framed, (f) => f.kind === 'command');
  const rest = frameWhere(framed, (f) => f.kind === 'command-continuation');
  const h = rewritten(head, [edit(/INBOX/, 'Archive')]);
  assert.equal(h.text, 'a1 APPEND Archive {11}\r\n', 'the body is in the next frame: the count stays');
  const same = replaceInFrame(rest.frame, rest.bytes, [edit(/world/, 'WORLD')]);
  assert.equal(same?.bytes.toString('latin1'), 'hello WORLD\r\n', 'same size: allowed');
  const longer = replaceInFrame(rest.frame, rest.bytes, [edit(/world/, 'big world')]);
  assert.equal(longer, undefined);
  const both = replaceInFrame(rest.frame, rest.bytes, [edit(/world/, 'big world'), edit(/^$/, 'x')]);
  assert.equal(both?.bytes.toString('latin1'), 'hello worldx\r\n', 'the line after the body may change, the body may not');
  assert.deepEqual(both?.refused, ['literal of 11 bytes: announced in an earlier frame, its size cannot change']);
});

test('a literal cut short by the end of the connection is left alone', () => {
  const framed = framesWithBytes(transcript(`
    S: * OK ready
    C: a FETCH 1 BODY[]
    S: * 1 FETCH (BODY[] {100}
    S:. hello`));
  const cut = frameWhere(framed, (f) => f.kind === 'untagged' && f.verb === 'FETCH');
  const r = replaceInFrame(cut.frame, cut.bytes, [edit(/hello/, 'bye'), edit(/FETCH/, 'FETCH')]);
  assert.equal(r, undefined);
});

test('any frame of the Dovecot dialogs, any of these edits: the output is one complete frame (random edits, fixed seed)', () => {
  const frames = [...session, ...framesWithBytes(DOVECOT_IDLE_SESSION)];
  const patterns = [/\d/g, /[{}]/g, /\r?\n/g, /$/, /^/, /.$/, /[A-Z]+/g, /\)/g, /Subject: .*/g, /~/g, /\s+/g, /(.)/g];
  const replacements = ['', '{1}', '{0+}', '\r\n', '~', 'x'.repeat(70), '$&$&', ')', '{', '\n'];
  const random = prng(7);
  let changed = 0;
  for (let i = 0; i < 600; i++) {
    const f = frames[Math.floor(random() * frames.length)];
    const edits = [edit(patterns[Math.floor(random() * patterns.length)], replacements[Math.floor(random() * replacements.length)])];
    if (random() < 0.3) edits.push(edit(patterns[Math.floor(random() * patterns.length)], replacements[Math.floor(random() * replacements.length)]));
    const r = replaceInFrame(f.frame, f.bytes, edits);
    if (!r) continue;
    changed += 1;
    const again = reframe(f.frame.direction, r.bytes);
    assert.ok(again.complete && again.frames.length === 1, `${JSON.stringify(f.bytes.toString('latin1'))} with ${edits.map((e) => `${e.pattern}->${JSON.stringify(e.replacement)}`).join(', ')} gave ${JSON.stringify(r.bytes.toString('latin1'))}`);
  }
  assert.ok(changed > 200, `${changed} frames changed`);
});
