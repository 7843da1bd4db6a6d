// CaptureFileOutput, the file end of both capture writers (issue 10): bytes land in order and whole
// after close(); small writes are batched (not one write per event-loop turn); 64 KiB and more go out
// in the turn; a regular file takes bulk on the proxy's thread and small batches through the pool at
// their offsets, a pipe and a slow file go through the pool with backpressure above the high-water mark; a write error is reported once, never thrown;
// what was given to write() may change right after (the proxy lends its read buffer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs = require('node:fs'); // the module object itself, so the counter below sees the output's writes
import * as os from 'node:os';
import * as path from 'node:path';
import { CAPTURE_BULK_WRITE_BYTES, CaptureFileOutput } from '../../src/capture/capture-file-output';

function tmpFile(): { file: string; fd: number; done(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-output-'));
  const file = path.join(dir, 'out');
  return { file, fd: fs.openSync(file, 'w'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type WriteCall = 'write' | 'writev' | 'writeSync';

/**
 * Counts the write, writev and writeSync calls that reach the file system, on the same fs module
 * object the output uses: all of them, or one kind (write is libuv's pool, writeSync this thread).
 */
function countWrites(): { count(name?: WriteCall): number; restore(): void } {
  const names: WriteCall[] = ['write', 'writev', 'writeSync'];
  const real = names.map((name) => fs[name]);
  const n = new Map<WriteCall, number>();
  names.forEach((name, i) => {
    (fs as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => { n.set(name, (n.get(name) ?? 0) + 1); return (real[i] as (...a: unknown[]) => unknown)(...args); };
  });
  return {
    count: (name) => (name ? n.get(name) ?? 0 : [...n.values()].reduce((a, b) => a + b, 0)),
    restore: () => names.forEach((name, i) => { (fs as unknown as Record<string, unknown>)[name] = real[i]; }),
  };
}

type Counter = ReturnType<typeof countWrites>;

/** Runs `body` with a fresh file and the write counter; restores fs and removes the file after. */
async function withCountedWrites(body: (t: ReturnType<typeof tmpFile>, writes: Counter) => Promise<void>): Promise<void> {
  const t = tmpFile();
  const writes = countWrites();
  try {
    await body(t, writes);
  } finally {
    writes.restore();
    t.done();
  }
}

test('bytes arrive in order and whole after close; many small writes become few file writes', () => withCountedWrites(async (t, writes) => {
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
}));

test('a queue above the flush size is written at once; the timer writes a small one', () => withCountedWrites(async (t, writes) => {
  const out = new CaptureFileOutput(t.fd, { flushBytes: 1000, flushMs: 20 });
  out.write(Buffer.alloc(600, 0x61));
  assert.equal(writes.count(), 0);
  out.write(Buffer.alloc(600, 0x62));
  await turn();
  assert.equal(writes.count(), 1, 'written once 1000 bytes wait, in the same turn');
  out.write(Buffer.alloc(10, 0x63));
  while (writes.count() < 2) await new Promise((r) => setTimeout(r, 5)); // the rest, by the timer
  await out.close();
  assert.deepStrictEqual(fs.readFileSync(t.file), Buffer.concat([Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x62), Buffer.alloc(10, 0x63)]));
}));

test('small writes go out through the pool at their offset, a bulk one on this thread; the file stays in order', () => withCountedWrites(async (t, writes) => {
  const out = new CaptureFileOutput(t.fd, { flushBytes: 1000, flushMs: 10_000 });
  assert.equal(out.mode, 'thread');
  const parts: Buffer[] = [];
  const put = (b: Buffer): void => { parts.push(b); out.write(b); };
  for (let i = 0; i < 5; i++) put(Buffer.alloc(200, 0x30 + i)); // NOOP-sized: flushed by size...
  assert.equal(writes.count('write'), 1, '...through the pool, not on this thread');
  assert.equal(writes.count('writeSync'), 0);
  put(Buffer.alloc(20_000, 0x62)); // a literal's packet: on this thread, after the pool's write in the file
  assert.equal(writes.count('writeSync'), 1, 'bulk is written before write() returns');
  for (let i = 0; i < 5; i++) put(Buffer.alloc(300, 0x40 + i));
  assert.equal(writes.count('write'), 2);
  await out.close(); // waits for the pool's writes before closing the descriptor
  assert.deepStrictEqual(fs.readFileSync(t.file), Buffer.concat(parts));
}));

test('close() waits for the pool\'s writes before it closes the descriptor', async () => {
  const t = tmpFile();
  const real = fs.write;
  // The pool is slow to start this write: a close that did not wait would close the descriptor first.
  (fs as unknown as Record<string, unknown>).write = (...args: unknown[]) => { setTimeout(() => (real as (...a: unknown[]) => void)(...args), 50); };
  try {
    const errors: Error[] = [];
    const out = new CaptureFileOutput(t.fd, { flushBytes: 100, flushMs: 10_000, onError: (e) => errors.push(e) });
    out.write(Buffer.alloc(150, 0x61));
    await out.close();
    assert.deepEqual(errors, []);
    assert.deepStrictEqual(fs.readFileSync(t.file), Buffer.alloc(150, 0x61));
  } finally {
    (fs as unknown as Record<string, unknown>).write = real;
    t.done();
  }
});

test('congested above the high-water mark until the file caught up', async () => {
  const t = tmpFile();
  try {
    const out = new CaptureFileOutput(t.fd, { highWater: 64 * 1024, flushBytes: 16 * 1024, mode: 'pool' });
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

test('a full disk: the error is reported once, later writes are dropped, close resolves (both modes)', async () => {
  for (const mode of ['pool', 'thread'] as const) {
    const fd = fs.openSync('/dev/full', 'w');
    const errors: Error[] = [];
    const out = new CaptureFileOutput(fd, { onError: (e) => errors.push(e), flushBytes: 1, mode });
    out.write(Buffer.from('a'));
    while (out.error === undefined) await turn();
    out.write(Buffer.from('b'));
    assert.equal(out.congested, false, 'a failed output never holds the proxy back');
    await out.whenDrained();
    await out.close();
    assert.equal(errors.length, 1, mode);
    assert.match(errors[0].message, /ENOSPC/);
  }
});

test('a regular file takes bulk on this thread, in order; a slow write moves the rest to the pool', async () => {
  const bulk = (fill: number): Buffer => Buffer.alloc(CAPTURE_BULK_WRITE_BYTES, fill);
  const t = tmpFile();
  try {
    const out = new CaptureFileOutput(t.fd, { flushBytes: 1000, slowWriteMs: 60_000 });
    assert.equal(out.mode, 'thread');
    out.write(bulk(0x61));
    assert.equal(fs.statSync(t.file).size, CAPTURE_BULK_WRITE_BYTES, 'written before write() returned');
    assert.equal(out.congested, false);
    await out.close();
    assert.deepStrictEqual(fs.readFileSync(t.file), bulk(0x61));
  } finally {
    t.done();
  }
  const slow = tmpFile();
  try {
    // Every write counts as slow: after the first, the pool takes over, from where the thread stopped.
    const out = new CaptureFileOutput(slow.fd, { flushBytes: 1000, slowWriteMs: -1 });
    out.write(bulk(0x61));
    assert.equal(out.mode, 'pool');
    out.write(bulk(0x62));
    await out.close();
    assert.deepStrictEqual(fs.readFileSync(slow.file), Buffer.concat([bulk(0x61), bulk(0x62)]));
  } finally {
    slow.done();
  }
});

test('a pipe is written through the pool (a slow reader such as tshark pauses readers, never the thread)', async () => {
  const [readFd, writeFd] = await new Promise<[number, number]>((resolve, reject) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-fifo-'));
    const fifo = path.join(dir, 'p');
    require('node:child_process').execFileSync('mkfifo', [fifo]);
    const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try { resolve([r, fs.openSync(fifo, 'w')]); } catch (e) { reject(e); }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const out = new CaptureFileOutput(writeFd, { flushBytes: 10 });
  assert.equal(out.mode, 'pool');
  out.write(Buffer.from('0123456789'));
  await out.close();
  const got = Buffer.alloc(10);
  assert.equal(fs.readSync(readFd, got), 10);
  assert.equal(got.toString(), '0123456789');
  fs.closeSync(readFd);
});

test('bytes given to write() may change at once after it returns (both modes)', async () => {
  for (const mode of ['thread', 'pool'] as const) {
    const t = tmpFile();
    try {
      const out = new CaptureFileOutput(t.fd, { mode, flushMs: 10_000 });
      const lent = Buffer.alloc(100, 0x61);
      out.write(lent);
      lent.fill(0x7a); // the proxy's next read lands in the same buffer
      out.write(Buffer.alloc(70_000, 0x62)); // past the flush size: written now (thread) or queued (pool)
      lent.fill(0x79);
      await out.close();
      assert.deepStrictEqual(fs.readFileSync(t.file), Buffer.concat([Buffer.alloc(100, 0x61), Buffer.alloc(70_000, 0x62)]), mode);
    } finally {
      t.done();
    }
  }
});
