import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesOfEditFile, editFileOf, HEADER_END, type EditFile, type EditOutcome } from '../../src/lab/intercept-edit-format';
import type { Frame } from '../../src/imap/frame';
import { frameEverySplit, frameSteps, notation } from '../imap/framing-harness';
import { transcript, type TranscriptStep } from '../imap/transcript';

/** The frames of one peer's bytes, as the real framer cuts them. */
function framesOf(direction: 'client' | 'server', bytes: Buffer): Frame[] {
  return frameSteps([[{ direction, bytes }]]).filter((f) => f.direction === direction);
}

const MESSAGE = 'From: a@example.org\r\nSubject: hi\r\n\r\nHello there\r\n';
const FETCH = Buffer.from(`* 1 FETCH (UID 7 BODY[] {${MESSAGE.length}}\r\n${MESSAGE} FLAGS (\\Seen))\r\n`, 'latin1');

function fileOf(bytes: Buffer, tokens = ['t0ken']): EditFile {
  const parts = framesOf('server', bytes)[0]?.parts;
  let n = 0;
  return editFileOf(bytes, parts, ['session #1, frame 3, S:'], () => tokens[Math.min(n++, tokens.length - 1)]);
}

function edited(file: EditFile, change: (text: string) => string): EditOutcome {
  return bytesOfEditFile(Buffer.from(change(file.text.toString('latin1')), 'latin1'), file);
}

function bytesOf(outcome: EditOutcome): Buffer {
  if (outcome.kind !== 'bytes') throw new Error(`expected bytes, got ${JSON.stringify(outcome)}`);
  return outcome.bytes;
}

test('the file: header comments, one line per frame line, the literal body between marker lines', () => {
  const file = fileOf(FETCH);
  const text = file.text.toString('latin1');
  const body = text.slice(text.indexOf(HEADER_END) + HEADER_END.length + 2);
  assert.equal(body, `* 1 FETCH (UID 7 BODY[] {${MESSAGE.length}}\r\n#imapdbg literal-begin t0ken\r\n${MESSAGE}\r\n`
    + '#imapdbg literal-end t0ken\r\n FLAGS (\\Seen))\r\n');
  assert.match(text, /^# session #1, frame 3, S:\r\n# Save to send/);
});

test('round trip: the file read back without change of content gives the frame\'s bytes exactly', () => {
  const file = fileOf(FETCH);
  assert.deepEqual(bytesOfEditFile(file.text, file), { kind: 'unchanged' });
  // Deleting the header does not change the frame.
  assert.deepEqual(bytesOf(edited(file, (t) => t.slice(t.indexOf(HEADER_END)))), FETCH);
  assert.deepEqual(bytesOf(edited(file, (t) => t.replace(/^# [^\n]*\n/gm, ''))), FETCH);
  const several = Buffer.from('* 2 FETCH (BODY[1] {3}\r\nabc BODY[2] {0}\r\n BODY[3] ~{4}\r\n\x00\r\n\x01)\r\n', 'latin1');
  assert.deepEqual(bytesOf(edited(fileOf(several), (t) => `${t}`.replace('# Save', '#  Save'))), several);
});

test('an edited body gets its {N} fixed up, and the result frames as one response at every split', () => {
  const file = fileOf(FETCH);
  const out = bytesOf(edited(file, (t) => t.replace('Hello there', 'Goodbye, and thanks for all the fish').replace('UID 7', 'UID 8')));
  const message = MESSAGE.replace('Hello there', 'Goodbye, and thanks for all the fish');
  assert.equal(out.toString('latin1'), `* 1 FETCH (UID 8 BODY[] {${message.length}}\r\n${message} FLAGS (\\Seen))\r\n`);
  const frames = frameEverySplit([{ direction: 'server', bytes: out }]);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].verb, 'FETCH');
  const literal = frames[0].parts[1];
  assert.ok(literal.type === 'literal' && literal.literal.size === message.length && literal.literal.received === message.length);
  assert.ok(notation(frames)[0].endsWith(' FLAGS (\\Seen))'));
});

test('literal forms are kept: {N+}, {N-}, ~{N}', () => {
  const client = Buffer.from('A1 APPEND INBOX {3+}\r\nabc {2-}\r\nde ~{1}\r\nf\r\n', 'latin1');
  const parts = framesOf('client', client)[0].parts;
  const file = editFileOf(client, parts, [], () => 'k');
  const out = bytesOf(edited(file, (t) => t.replace('abc', 'abcd').replace(/^de$/m, '').replace(/^f$/m, 'fgh')));
  assert.equal(out.toString('latin1'), 'A1 APPEND INBOX {4+}\r\nabcd {0-}\r\n ~{3}\r\nfgh\r\n');
});

test('the marker token never occurs in the frame: a body quoting a marker cannot end the body early', () => {
  const message = 'evil\r\n#imapdbg literal-end aaaa\r\nmore\r\n';
  const bytes = Buffer.from(`* 1 FETCH (BODY[] {${message.length}}\r\n${message})\r\n`, 'latin1');
  const file = fileOf(bytes, ['aaaa', 'bbbb']);
  assert.equal(file.token, 'bbbb');
  assert.deepEqual(bytesOf(edited(file, (t) => t.replace(/^# [^\n]*\n/m, ''))), bytes);
  const out = bytesOf(edited(file, (t) => t.replace('more', 'less!')));
  assert.ok(out.toString('latin1').startsWith(`* 1 FETCH (BODY[] {${message.length + 1}}\r\n`));
});

test('an editor that saves LF line ends: lines still go out with CRLF', () => {
  const file = fileOf(Buffer.from('* 3 EXISTS\r\n'));
  assert.equal(bytesOf(edited(file, (t) => t.replace(/\r\n/g, '\n').replace('* 3', '* 4'))).toString(), '* 4 EXISTS\r\n');
});

test('an empty file, or only the header left, cancels; an unchanged file is reported as such', () => {
  const file = fileOf(FETCH);
  assert.deepEqual(bytesOfEditFile(Buffer.alloc(0), file), { kind: 'cancel' });
  assert.deepEqual(edited(file, (t) => t.slice(0, t.indexOf(HEADER_END) + HEADER_END.length) + '\r\n\r\n'), { kind: 'cancel' });
  assert.deepEqual(edited(file, () => '\n\n  \n'), { kind: 'cancel' });
  assert.deepEqual(bytesOfEditFile(file.text, file), { kind: 'unchanged' });
});

test('a file that does not parse is an error, not bytes', () => {
  const file = fileOf(FETCH);
  const noEnd = edited(file, (t) => t.replace('#imapdbg literal-end t0ken\r\n', ''));
  assert.equal(noEnd.kind, 'error');
  assert.match(noEnd.kind === 'error' ? noEnd.message : '', /no '#imapdbg literal-end t0ken' line/);
  const noCount = edited(file, (t) => t.replace(`{${MESSAGE.length}}`, 'NIL'));
  assert.match(noCount.kind === 'error' ? noCount.message : '', /must follow a line ending in \{N\}/);
  const stray = edited(file, (t) => `${t}#imapdbg literal-end t0ken\r\n`);
  assert.match(stray.kind === 'error' ? stray.message : '', /without a begin line/);
});

test('a tag the client never sent is the user\'s choice: sent as written', () => {
  const file = fileOf(Buffer.from('a1 OK done\r\n'));
  assert.equal(bytesOf(edited(file, (t) => t.replace('a1 OK', 'zz9 OK'))).toString(), 'zz9 OK done\r\n');
});

test('a command continued after + starts with a body whose size went out before: it must keep its size', () => {
  const steps: TranscriptStep[] = transcript('C: A001 LOGIN {11}\nS: + go\nC: FRED FOOBAR {7}\nS: + go\nC: fat man');
  const frames = frameSteps(steps.map((s) => [s])).filter((f) => f.direction === 'client');
  const clientBytes = Buffer.concat(steps.filter((s) => s.direction === 'client').map((s) => s.bytes));
  const continuation = frames[1];
  assert.equal(continuation.kind, 'command-continuation');
  const bytes = clientBytes.subarray(continuation.offset, continuation.offset + continuation.length);
  const file = editFileOf(bytes, continuation.parts, [], () => 'q');
  assert.ok(file.text.toString('latin1').includes(`${HEADER_END}\r\n#imapdbg literal-begin q\r\nFRED FOOBAR\r\n#imapdbg literal-end q\r\n {7}\r\n`));
  assert.deepEqual(bytesOf(edited(file, (t) => t.replace('FRED FOOBAR', 'JOHN SMITHS'))), Buffer.from('JOHN SMITHS {7}\r\n'));
  const longer = edited(file, (t) => t.replace('FRED FOOBAR', 'FRED'));
  assert.match(longer.kind === 'error' ? longer.message : '', /must stay 11 bytes/);
});

test('a final empty line after a body, trimmed by the editor, is restored', () => {
  const bytes = Buffer.from('A1 LOGIN {3}\r\nfoo {3}\r\nbar\r\n', 'latin1');
  const file = editFileOf(bytes, undefined, [], () => 'z');
  assert.ok(file.text.toString('latin1').endsWith('#imapdbg literal-end z\r\n\r\n'));
  assert.deepEqual(bytesOf(edited(file, (t) => t.replace(/\r\n\r\n$/, '\r\n').replace('bar', 'baz'))), Buffer.from('A1 LOGIN {3}\r\nfoo {3}\r\nbaz\r\n'));
});
