import { closeSync, createWriteStream, fstatSync, write as writeAt, writeSync, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Above this many bytes queued or being written, the writer asks the proxy to pause reading. */
export const CAPTURE_HIGH_WATER = 8 * 1024 * 1024;
/** Queued bytes go to the file at once from this size on (a big literal's chunks, every fourth one)... */
export const CAPTURE_FLUSH_BYTES = 256 * 1024;
/**
 * ...smaller amounts wait at most this long: what a SIGKILL can lose, besides the write under way.
 * Each flush is a write on the proxy's thread that a round trip may wait for: 64 KiB every 10 ms
 * put one NOOP round trip in 85 behind one, and the p99 with recording at 390 µs against 319 µs
 * with 256 KiB every 50 ms (Python client, five alternating runs each; BENCHMARKS.md, stop 12).
 */
export const CAPTURE_FLUSH_MS = 50;
/** Bytes are copied into slabs of this size, reused once the file has them. */
export const CAPTURE_SLAB_BYTES = 1024 * 1024;
/**
 * A flush that follows a write of at least this many bytes (a literal's packets, up to 64 KiB each)
 * happens on the proxy's thread, the cheapest way in CPU; one that follows smaller writes (the
 * records and packets of NOOP round trips) or the timer goes through libuv's pool at its file
 * offset, so that no round trip waits behind a 256 KiB write.
 */
export const CAPTURE_BULK_WRITE_BYTES = 16 * 1024;
/** A write on the proxy's thread that took longer than this moves the capture to libuv's pool for good. */
export const CAPTURE_SLOW_WRITE_MS = 20;

/** Where writes happen: on the calling thread (regular files) or through libuv's thread pool. */
export type CaptureWriteMode = 'thread' | 'pool';

export interface CaptureFileOutputOptions {
  /** Called once, at once, when writing fails (a full disk): the proxy keeps forwarding, recording stops. */
  onError?: (err: Error) => void;
  highWater?: number;
  flushBytes?: number;
  flushMs?: number;
  slabBytes?: number;
  /** Default: 'thread' for a regular file, 'pool' for anything else (a pipe to tshark, a device). */
  mode?: CaptureWriteMode;
  slowWriteMs?: number;
}

interface Slab {
  bytes: Buffer;
  /** Writes of this slab's regions not finished yet. */
  writing: number;
  /** No more bytes go into it: back to the free list once `writing` is 0. */
  full: boolean;
}

/**
 * The file end of a capture writer, and the flow control the proxy reads (FlowControl): bytes in
 * order. `write` copies: the proxy lends its read buffer for the length of an event
 * (proxy/lent-reads.ts), so nothing given here may be kept. The copies go into a few slabs that are
 * reused once the file has their bytes, so recording allocates nothing per chunk (fresh 64 KiB
 * buffers per read cost this VM more in page faults and mark-compacts than copying did), and a
 * flush is one contiguous write. Small amounts (the records and packets of a NOOP round trip) are
 * held for up to CAPTURE_FLUSH_MS and go out together.
 *
 * A regular file is written at explicit offsets. Bulk (a literal's packets) is written with
 * writeSync on the proxy's thread, after the bytes were forwarded: the same 64 KiB writes through
 * libuv's pool cost one VM about three times the CPU (bench/file-write-cost.ts: 0.3 against 0.8 s
 * per GiB; the proxy recording a 512 MB literal went from 3.5-4.5 to 2.9-3.0 CPU s per GiB).
 * Small amounts gathered from many events go through the pool, where no round trip waits for
 * them (CAPTURE_BULK_WRITE_BYTES). A write that takes longer than CAPTURE_SLOW_WRITE_MS (a
 * slow or network disk) moves the output to the pool for good, where a disk that lags pauses the
 * readers (congested) instead of stalling the proxy's thread. Pipes and devices always use the pool.
 */
export class CaptureFileOutput {
  /** The pool's write stream; undefined while writes happen on this thread. */
  private out: WriteStream | undefined;
  private slab: Slab;
  private readonly free: Slab[] = [];
  /** Bytes of the current slab copied in, and how far of them were handed to the stream. */
  private filled = 0;
  private flushed = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed: Error | undefined;
  private ending = false;
  private closed: Promise<void> | undefined;
  private readonly drainWaiters: Array<() => void> = [];
  /** Where the bytes of the last reserve() go in the buffer it returned. */
  reservedAt = 0;
  /** The buffer reserve() returned when the bytes could not go into the slab. */
  private spare: Buffer | undefined;
  /**
   * A regular file is written at explicit offsets (pwrite), so a flush through the pool and a later
   * one on this thread cannot land out of order: `position` is where the next flushed byte goes.
   */
  private readonly positional: boolean;
  private position = 0;
  /** Bytes handed to pool writes at an offset and not written yet; `poolIdle` waits for none. */
  private inPool = 0;
  private poolIdle: (() => void) | undefined;
  private readonly highWater: number;
  private readonly flushBytes: number;
  private readonly flushMs: number;
  private readonly slabBytes: number;
  private readonly slowWriteMs: number;
  private readonly onError: ((err: Error) => void) | undefined;

  constructor(private readonly fd: number, options: CaptureFileOutputOptions = {}) {
    this.highWater = options.highWater ?? CAPTURE_HIGH_WATER;
    this.flushBytes = options.flushBytes ?? CAPTURE_FLUSH_BYTES;
    this.flushMs = options.flushMs ?? CAPTURE_FLUSH_MS;
    this.slabBytes = options.slabBytes ?? CAPTURE_SLAB_BYTES;
    this.slowWriteMs = options.slowWriteMs ?? CAPTURE_SLOW_WRITE_MS;
    this.onError = options.onError;
    this.slab = this.newSlab();
    // A new or truncated file: its size is where writing starts.
    const size = regularFileSize(fd);
    this.positional = size !== undefined;
    this.position = size ?? 0;
    if ((options.mode ?? (this.positional ? 'thread' : 'pool')) === 'pool') this.usePool();
  }

  /** Where writes happen now. */
  get mode(): CaptureWriteMode {
    return this.out ? 'pool' : 'thread';
  }

  /** The first write error, if any (a full disk must not take the proxy down: recording stops). */
  get error(): Error | undefined {
    return this.failed;
  }

  /** True while more than the high-water mark waits for the disk: readers should pause. */
  get congested(): boolean {
    return this.failed === undefined && (this.out?.writableLength ?? 0) + this.inPool + this.filled - this.flushed > this.highWater;
  }

  /** Resolves when the queue is below the high-water mark again (or writing failed). */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Copy bytes to be written after everything before. Ignored once writing failed or closing began. */
  write(bytes: Buffer): void {
    if (this.failed !== undefined || this.ending || bytes.length === 0) return;
    const bulk = isBulk(bytes.length);
    if (bytes.length > this.slabBytes - this.filled) {
      this.flush(bulk);
      if (bytes.length > this.slabBytes / 2) {
        // Bigger than a slab is worth: written at once, or as a copy of its own (rare: a large metadata block).
        if (this.out) this.out.write(Buffer.from(bytes));
        else this.writeHere(bytes);
        return;
      }
      this.nextSlab();
    }
    bytes.copy(this.slab.bytes, this.filled);
    this.filled += bytes.length;
    this.queued(bulk);
  }

  /** Bytes were added to the slab: out at once past flushBytes, else within flushMs. */
  private queued(bulk: boolean): void {
    // A flush by size leaves the timer armed (no clearTimeout and setTimeout per 64 KiB chunk of a
    // literal): when it fires it writes whatever came since, which has waited less than flushMs.
    if (this.filled - this.flushed >= this.flushBytes) this.flush(bulk);
    else this.timer ??= setTimeout(() => { this.timer = undefined; this.flush(false); }, this.flushMs);
  }

  /**
   * Room for up to `max` bytes to be written in place (no copy of a buffer made for the purpose):
   * returns the buffer to write into from `reservedAt`; `commit(n)` then queues the first n bytes.
   * Nothing else may be written between the two.
   */
  reserve(max: number): Buffer {
    if (this.failed !== undefined || this.ending || max > this.slabBytes / 2) {
      // Rare (a large metadata block) or to be dropped: a buffer of its own, written by commit.
      this.spare = Buffer.allocUnsafe(max);
      this.reservedAt = 0;
      return this.spare;
    }
    if (max > this.slabBytes - this.filled) {
      this.flush(isBulk(max));
      this.nextSlab();
    }
    this.spare = undefined;
    this.reservedAt = this.filled;
    return this.slab.bytes;
  }

  /** Queues the first `length` bytes written after reserve(). */
  commit(length: number): void {
    const spare = this.spare;
    if (spare) {
      this.spare = undefined;
      if (length > 0) this.write(spare.subarray(0, length));
      return;
    }
    if (length === 0) return;
    this.filled += length;
    this.queued(isBulk(length));
  }

  /** Write everything queued, then close the file. */
  close(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    this.flush(true);
    if (this.ending) return this.closed ?? Promise.resolve();
    this.ending = true;
    // Writes at an offset still under way finish before the descriptor goes.
    const pool = this.inPool === 0 ? Promise.resolve() : new Promise<void>((resolve) => { this.poolIdle = resolve; });
    this.closed = pool.then(() => {
      const out = this.out;
      if (!out) {
        try { closeSync(this.fd); } catch { /* already closed: nothing left to lose */ }
        return undefined;
      }
      return new Promise<void>((resolve) => {
        if (out.closed) { resolve(); return; }
        // 'close' comes after 'finish' or 'error' (autoDestroy), so a write error is recorded by then;
        // end()'s own callback may run before the 'error' listener has.
        out.once('close', () => resolve());
        if (!out.writableEnded) out.end();
      });
    });
    return this.closed;
  }

  /** Hand what is queued to the file: on this thread, or (a small amount) through the pool. */
  private flush(onThread: boolean): void {
    if (this.filled === this.flushed || this.failed !== undefined) return;
    const slab = this.slab;
    const from = this.flushed;
    this.flushed = this.filled;
    if (this.out) {
      slab.writing++;
      this.out.write(slab.bytes.subarray(from, this.filled), () => {
        slab.writing--;
        this.recycle(slab);
      });
    } else if (onThread || !this.positional) {
      this.writeHere(slab.bytes.subarray(from, this.filled));
    } else {
      this.writeInPool(slab, from, this.filled);
    }
  }

  /** One write on this thread; a slow one sends every later write to the pool. */
  private writeHere(bytes: Buffer): void {
    const started = performance.now();
    const position = this.position;
    this.position += bytes.length;
    try {
      // A position of null writes at the descriptor's own offset (a pipe, a device).
      for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at, this.positional ? position + at : null);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (performance.now() - started > this.slowWriteMs) this.usePool();
  }

  /**
   * A slab's bytes from..to written through libuv's pool at their offset (pwrite), the slab kept
   * until then. A SIGKILL while one is under way can leave its bytes as a hole of zeros before
   * later ones: readers stop there, as at any cut.
   */
  private writeInPool(slab: Slab, from: number, to: number): void {
    const length = to - from;
    const position = this.position;
    this.position += length;
    this.inPool += length;
    slab.writing++;
    const step = (done: number): void => {
      writeAt(this.fd, slab.bytes, from + done, length - done, position + done, (err, written) => {
        if (!err && done + written < length) { step(done + written); return; }
        slab.writing--;
        this.inPool -= length;
        if (err) this.fail(err);
        else this.recycle(slab);
        if (this.inPool === 0) this.poolIdle?.();
        if (!this.congested) this.wake();
      });
    };
    step(0);
  }

  private usePool(): void {
    // At an offset from where this thread stopped (writes so far were positional, not the descriptor's).
    const out = createWriteStream('', { fd: this.fd, ...(this.positional ? { start: this.position } : {}) });
    out.on('error', (err) => this.fail(err));
    out.on('drain', () => { if (!this.congested) this.wake(); });
    this.out = out;
  }

  private fail(err: Error): void {
    if (this.failed === undefined) this.onError?.(err);
    this.failed ??= err;
    this.filled = this.flushed = 0;
    this.wake();
  }

  /** The current slab is full: the next one, from the free list when the file has caught up. */
  private nextSlab(): void {
    const old = this.slab;
    old.full = true;
    this.slab = this.free.pop() ?? this.newSlab();
    this.slab.full = false;
    this.filled = this.flushed = 0;
    this.recycle(old);
  }

  private recycle(slab: Slab): void {
    // Enough free slabs to cover the high-water mark and the slab being filled; beyond that, the
    // garbage collector's (a cap of 8 made 39 fresh slabs per 512 MB, each a megabyte of page faults).
    if (slab.full && slab.writing === 0 && this.free.length * this.slabBytes < this.highWater + 2 * this.slabBytes) this.free.push(slab);
  }

  private newSlab(): Slab {
    return { bytes: Buffer.allocUnsafeSlow(this.slabBytes), writing: 0, full: false };
  }

  private wake(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }
}

/** Whether a flush after a write of `bytes` happens on the proxy's thread (CAPTURE_BULK_WRITE_BYTES). */
function isBulk(bytes: number): boolean {
  return bytes >= CAPTURE_BULK_WRITE_BYTES;
}

/** The size of a regular file; undefined for anything else (a pipe, a device). */
function regularFileSize(fd: number): number | undefined {
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
