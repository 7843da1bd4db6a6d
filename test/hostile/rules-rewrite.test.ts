// Hostile server frames through the rule rewrites (real framer, real classes; the proxy wiring is
// tested end to end elsewhere): whatever the peer sent, what a rule delivers must still be framed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationFramer } from '../../src/imap/conversation-framer';
import type { Frame } from '../../src/imap/frame';
import { hideCapabilities } from '../../src/lab/capability-hiding';
import { MAX_REPLACE_BODY_BYTES, replaceInFrame } from '../../src/lab/frame-rewrite';

/** Server frames of a byte stream (after a greeting), each with its bytes. */
function serverFrames(stream: Buffer): Array<{ frame: Frame; bytes: Buffer }> {
  const frames: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { frames.push(f); });
  const greeting = Buffer.from('* OK ready\r\n');
  const all = Buffer.concat([greeting, stream]);
  framer.push('server', all, 0);
  framer.end('server', 1);
  return frames.slice(1).map((frame) => ({ frame, bytes: all.subarray(frame.offset, frame.offset + frame.length) }));
}

test('a frame the framer cut (SEGMENT_BOUNDS) between a {N} and its body: both halves keep that count, the stream frames alike', () => {
  // 16 lines of 64 KiB kept text reach the 1 MiB bound exactly at the line announcing {5}: the
  // framer cuts there, and the body goes to the next frame.
  const filler = 'x'.repeat(65_536 - 4);
  const lines = [...Array.from({ length: 15 }, (_, i) => `${i === 0 ? '* 1 FETCH (' : ' '}${filler.slice(i === 0 ? 11 : 1)}{0}\r\n`), `${filler.slice(0, 65_536 - 3)}{5}\r\nhello)\r\n`];
  const frames = serverFrames(Buffer.from(lines.join(''), 'latin1'));
  assert.equal(frames.length, 2, 'cut in two');
  assert.equal(frames[1].frame.parts[0].type, 'literal', 'the second half starts with the body');
  const rewritten = frames.map(({ frame, bytes }) => replaceInFrame(frame, bytes, [{ pattern: /hello|x{10}|\)$/g, replacement: 'bye' }]));
  assert.ok(rewritten[0]);
  assert.match(rewritten[0].bytes.subarray(-6).toString('latin1'), /\{5\}\r\n$/, 'the count of a body in the next frame stays');
  assert.deepEqual(rewritten[1]?.refused, ['literal of 5 bytes: announced in an earlier frame, its size cannot change']);
  const out = Buffer.concat(rewritten.map((r, i) => r?.bytes ?? frames[i].bytes));
  const again = serverFrames(out);
  assert.equal(again.reduce((n, f) => n + f.frame.length, 0), out.length, 'every byte in a frame');
  assert.ok(again.every((f) => f.frame.parts.every((p) => p.type !== 'literal' || p.literal.received === p.literal.size)));
});

test('a literal above MAX_REPLACE_BODY_BYTES is not searched; the lines around it still are', () => {
  const size = MAX_REPLACE_BODY_BYTES + 1;
  const body = Buffer.alloc(size, 'a');
  const [fetch] = serverFrames(Buffer.concat([Buffer.from(`* 1 FETCH (BODY[] {${size}}\r\n`), body, Buffer.from(' FLAGS (a))\r\n')]));
  const r = replaceInFrame(fetch.frame, fetch.bytes, [{ pattern: /a/g, replacement: 'bb' }]);
  assert.ok(r);
  assert.deepEqual(r.refused, [`literal of ${size} bytes: above ${MAX_REPLACE_BODY_BYTES} bytes, not searched`]);
  assert.equal(r.bytes.length, fetch.bytes.length + 1, 'only the `a` of FLAGS (a) grew');
});

test('a 64 KiB-plus CAPABILITY line with thousands of names: the hidden ones go, the line stays one line', () => {
  const names = Array.from({ length: 20_000 }, (_, i) => `X${i}`);
  const [cap] = serverFrames(Buffer.from(`* CAPABILITY IMAP4rev1 ${names.join(' ')} IDLE\r\n`));
  assert.ok(cap.frame.parts[0].type === 'line' && cap.frame.parts[0].line.truncated, 'longer than the framer keeps as text');
  const r = hideCapabilities(cap.frame, cap.bytes, new Set(['IDLE', 'X19999', 'X0']));
  assert.ok(r);
  assert.deepEqual(r.hidden, ['X0', 'X19999', 'IDLE']);
  assert.equal(r.bytes.length, cap.bytes.length - ' X0 X19999 IDLE'.length);
  assert.equal(serverFrames(r.bytes).length, 1);
});
