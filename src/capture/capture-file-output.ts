import { createWriteStream, type WriteStream } from 'node:fs';

/** Above this many bytes queued or being written, the writer asks the proxy to pause reading. */
export const CAPTURE_HIGH_WATER = 8 * 1024 * 1024;
/** Queued bytes go to the file at once from this size on (a big literal's chunks, in the turn they came)... */
export const CAPTURE_FLUSH_BYTES = 64 * 1024;
/** ...smaller amounts wait at most this long: what a SIGKILL can lose, besides the write under way. */
export const CAPTURE_FLUSH_MS = 10;
/** Bytes are copied into slabs of this size, reused once the file has them. */
export const CAPTURE_SLAB_BYTES = 1024 * 1024;

export interface CaptureFileOutputOptions {
  /** Called once, at once, when writing fails (a full disk): the proxy keeps forwarding, recording stops. */
  onError?: (err: Error) => void;
  highWater?: number;
  flushBytes?: number;
  flushMs?: number;
  slabBytes?: number;
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
 * order, through a write stream (libuv's pool). `write` copies: the proxy lends its read buffer for
 * the length of an event (proxy/lent-reads.ts), so nothing given here may be kept. The copies go
 * into a few slabs that are reused once the file has their bytes, so recording allocates nothing
 * per chunk (fresh 64 KiB buffers per read cost this VM more in page faults and mark-compacts than
 * copying did), and a flush is one contiguous write. Small amounts (the records and packets of a
 * NOOP round trip) are held for up to CAPTURE_FLUSH_MS and go out together: each write is a hand-off
 * to a pool thread and back, which cost the forwarding thread more than the bytes did.
 */
export class CaptureFileOutput {
  private readonly out: WriteStream;
  private slab: Slab;
  private readonly free: Slab[] = [];
  /** Bytes of the current slab copied in, and how far of them were handed to the stream. */
  private filled = 0;
  private flushed = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed: Error | undefined;
  private ending = false;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly highWater: number;
  private readonly flushBytes: number;
  private readonly flushMs: number;
  private readonly slabBytes: number;

  constructor(fd: number, options: CaptureFileOutputOptions = {}) {
    this.highWater = options.highWater ?? CAPTURE_HIGH_WATER;
    this.flushBytes = options.flushBytes ?? CAPTURE_FLUSH_BYTES;
    this.flushMs = options.flushMs ?? CAPTURE_FLUSH_MS;
    this.slabBytes = options.slabBytes ?? CAPTURE_SLAB_BYTES;
    this.slab = this.newSlab();
    this.out = createWriteStream('', { fd });
    this.out.on('error', (err) => {
      if (this.failed === undefined) options.onError?.(err);
      this.failed ??= err;
      this.filled = this.flushed = 0;
      this.wake();
    });
    this.out.on('drain', () => { if (!this.congested) this.wake(); });
  }

  /** The first write error, if any (a full disk must not take the proxy down: recording stops). */
  get error(): Error | undefined {
    return this.failed;
  }

  /** True while more than the high-water mark waits for the disk: readers should pause. */
  get congested(): boolean {
    return this.failed === undefined && this.out.writableLength + this.filled - this.flushed > this.highWater;
  }

  /** Resolves when the queue is below the high-water mark again (or writing failed). */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Copy bytes to be written after everything before. Ignored once writing failed or closing began. */
  write(bytes: Buffer): void {
    if (this.failed !== undefined || this.ending || bytes.length === 0) return;
    if (bytes.length > this.slabBytes - this.filled) {
      this.flush();
      if (bytes.length > this.slabBytes / 2) {
        // Bigger than a slab is worth: a copy of its own (rare: a large metadata block).
        this.out.write(Buffer.from(bytes));
        return;
      }
      this.nextSlab();
    }
    bytes.copy(this.slab.bytes, this.filled);
    this.filled += bytes.length;
    if (this.filled - this.flushed >= this.flushBytes) this.flush();
    else this.timer ??= setTimeout(() => { this.timer = undefined; this.flush(); }, this.flushMs);
  }

  /** Write everything queued, then close the file. */
  close(): Promise<void> {
    this.flush();
    this.ending = true;
    return new Promise((resolve) => {
      if (this.out.closed) { resolve(); return; }
      // 'close' comes after 'finish' or 'error' (autoDestroy), so a write error is recorded by then;
      // end()'s own callback may run before the 'error' listener has.
      this.out.once('close', () => resolve());
      if (!this.out.writableEnded) this.out.end();
    });
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.filled === this.flushed || this.failed !== undefined) return;
    const slab = this.slab;
    slab.writing++;
    this.out.write(slab.bytes.subarray(this.flushed, this.filled), () => {
      slab.writing--;
      this.recycle(slab);
    });
    this.flushed = this.filled;
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
