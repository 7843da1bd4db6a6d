// CaptureFileOutput, the file end of both capture writers (issue 10): bytes land in order and whole
// after close(); small writes are batched (not one write per event-loop turn: each is a hand-off to
// libuv's pool and back, which cost the proxy more than the bytes); 64 KiB and more go out in the turn;
// backpressure above the high-water mark; a write error is reported once, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs = require('node:fs'); // the module object itself, so the counter below sees the output's writes
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureFileOutput } from '../../src/capture/capture-file-output';

function tmpFile(): { file: string; fd: number; done(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-output-'));
  const file = path.join(dir, 'out');
  return { file, fd: fs.openSync(file, 'w'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Counts the write and writev calls that reach the file system, on the same fs module object the output uses. */
function countWrites(): { count(): number; restore(): void } {
  const realWritev = fs.writev;
  const realWrite = fs.write;
  let n = 0;
  (fs as { writev: unknown }).writev = (...args: unknown[]) => { n++; return (realWritev as (...a: unknown[]) => void)(...args); };
  (fs as { write: unknown }).write = (...args: unknown[]) => { n++; return (realWrite as (...a: unknown[]) => void)(...args); };
  return { count: () => n, restore: () => { (fs as { writev: unknown }).writev = realWritev; (fs as { write: unknown }).write = realWrite; } };
}

test('bytes arrive in order and whole after close; many small writes become few file writes', async () => {
  const t = tmpFile();
  const writes = countWrites();
  try {
    const out = new CaptureFileOutput(t.fd, { flushMs: 10_000 });
    const expected: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(`record ${i}\n`);
      expected.push(b);
      out.write(b);
      await turn(); // one event per turn, as NOOP round trips come
    }
    assert.equal(writes.count(), 0, 'small writes wait for the batch (size or timer), not the next turn');
    await out.close();
    assert.equal(writes.count(), 1, 'the batch goes out in one write at close');
    assert.deepStrictEqual(fs.readFileSync(t.file), Buffer.concat(expected));
  } finally {
    writes.restore();
    t.done();
  }
});

test('a queue above the flush size is written at once; the timer writes a small one', async () => {
  const t = tmpFile();
  const writes = countWrites();
  try {
    const out = new CaptureFileOutput(t.fd, { flushBytes: 1000, flushMs: 20 });
    out.write(Buffer.alloc(600, 0x61));
    assert.equal(writes.count(), 0);
    out.write(Buffer.alloc(600, 0x62));
    await turn();
    assert.equal(writes.count(), 1, 'written once 1000 bytes wait, in the same turn');
    out.write(Buffer.alloc(10, 0x63));
    while (fs.statSync(t.file).size < 1210) await new Promise((r) => setTimeout(r, 5));
    assert.equal(writes.count(), 2, 'the rest by the timer');
    await out.close();
    assert.deepStrictEqual(fs.readFileSync(t.file), Buffer.concat([Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x62), Buffer.alloc(10, 0x63)]));
  } finally {
    writes.restore();
    t.done();
  }
});

test('congested above the high-water mark until the file caught up', async () => {
  const t = tmpFile();
  try {
    const out = new CaptureFileOutput(t.fd, { highWater: 64 * 1024, flushBytes: 16 * 1024 });
    for (let i = 0; i < 10; i++) out.write(Buffer.alloc(16 * 1024, i));
    assert.equal(out.congested, true);
    await out.whenDrained();
    assert.equal(out.congested, false);
    await out.close();
    assert.equal(fs.statSync(t.file).size, 160 * 1024);
  } finally {
    t.done();
  }
});

test('a full disk: the error is reported once, later writes are dropped, close resolves', async () => {
  const fd = fs.openSync('/dev/full', 'w');
  const errors: Error[] = [];
  const out = new CaptureFileOutput(fd, { onError: (e) => errors.push(e), flushBytes: 1 });
  out.write(Buffer.from('a'));
  while (out.error === undefined) await turn();
  out.write(Buffer.from('b'));
  assert.equal(out.congested, false, 'a failed output never holds the proxy back');
  await out.whenDrained();
  await out.close();
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /ENOSPC/);
});
