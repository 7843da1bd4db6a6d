import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameByteWindow } from '../../src/replay/frame-byte-window';

test('frames spanning chunks come back whole, at any chunking', () => {
  const stream = Buffer.from('* OK hi\r\n* 1 FETCH (BODY {5}\r\nabcde)\r\na1 OK done\r\n');
  const frames = [[0, 9], [9, 29], [38, 12]] as const;
  for (let size = 1; size <= stream.length; size++) {
    const w = new FrameByteWindow(1024);
    const got: string[] = [];
    let next = 0;
    for (let at = 0; at < stream.length; at += size) {
      w.append(stream.subarray(at, at + size));
      // Take every frame whose bytes have all arrived, as the framer would hand it out.
      while (next < frames.length && frames[next][0] + frames[next][1] <= Math.min(at + size, stream.length)) {
        got.push(String(w.take(frames[next][0], frames[next][1])));
        next += 1;
      }
    }
    assert.deepEqual(got, ['* OK hi\r\n', '* 1 FETCH (BODY {5}\r\nabcde)\r\n', 'a1 OK done\r\n'], `chunks of ${size}`);
  }
});

test('a frame over the cap loses its bytes, the frames after it do not', () => {
  const w = new FrameByteWindow(10);
  w.append(Buffer.from('a1 OK\r\n')); // frame 0..7
  assert.equal(String(w.take(0, 7)), 'a1 OK\r\n');
  for (let i = 0; i < 100; i++) w.append(Buffer.from('xxxxxxxx')); // an 800-byte line, no end yet
  w.append(Buffer.from('\r\na2 OK\r\n'));
  assert.equal(w.take(7, 802), undefined);
  assert.equal(String(w.take(809, 7)), 'a2 OK\r\n');
});
