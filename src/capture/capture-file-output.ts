import { close as closeFd, writev } from 'node:fs';

/** Above this many bytes queued or being written, the writer asks the proxy to pause reading. */
export const CAPTURE_HIGH_WATER = 8 * 1024 * 1024;
/**
 * Queued bytes are written at once from this size on (a chunk of a big literal goes out as soon as
 * it is queued, as with a stream; 1 MiB batches measured slower: the held read buffers lived
 * through scavenges and more mark-compacts followed)...
 */
export const CAPTURE_FLUSH_BYTES = 64 * 1024;
/** ...and otherwise after this long: what a SIGKILL can lose, besides the write under way. */
export const CAPTURE_FLUSH_MS = 10;

export interface CaptureFileOutputOptions {
  /** Called once, at once, when writing fails (a full disk): the proxy keeps forwarding, recording stops. */
  onError?: (err: Error) => void;
  highWater?: number;
  flushBytes?: number;
  flushMs?: number;
}

/**
 * The file end of a capture writer, and the flow control the proxy reads (FlowControl): buffers in
 * order, written by `writev` on libuv's pool, one write at a time, at once from CAPTURE_FLUSH_BYTES
 * on, smaller amounts batched for up to CAPTURE_FLUSH_MS. Batches, not a write per event-loop turn: each
 * write is a hand-off to a pool thread and back (two wake-ups), which cost the forwarding thread
 * more than the bytes did, and a NOOP round trip paid for two of them. The buffers are written as
 * they are (a packet's payload is the proxy's own chunk, not a copy), so nothing may change them.
 */
export class CaptureFileOutput {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writingBytes = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private failed: Error | undefined;
  private ending = false;
  private fdClosed = false;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly closeWaiters: Array<() => void> = [];
  private readonly highWater: number;
  private readonly flushBytes: number;
  private readonly flushMs: number;

  constructor(private readonly fd: number, private readonly options: CaptureFileOutputOptions = {}) {
    this.highWater = options.highWater ?? CAPTURE_HIGH_WATER;
    this.flushBytes = options.flushBytes ?? CAPTURE_FLUSH_BYTES;
    this.flushMs = options.flushMs ?? CAPTURE_FLUSH_MS;
  }

  /** The first write error, if any (a full disk must not take the proxy down: recording stops). */
  get error(): Error | undefined {
    return this.failed;
  }

  /** True while more than the high-water mark waits for the disk: readers should pause. */
  get congested(): boolean {
    return this.failed === undefined && this.queuedBytes + this.writingBytes > this.highWater;
  }

  /** Resolves when the queue is below the high-water mark again (or writing failed). */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Queue bytes to be written after everything queued before. Ignored once writing failed or closing began. */
  write(bytes: Buffer): void {
    if (this.failed !== undefined || this.ending || bytes.length === 0) return;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.writing) return;
    if (this.queuedBytes >= this.flushBytes) this.flush();
    else this.timer ??= setTimeout(() => { this.timer = undefined; if (!this.writing) this.flush(); }, this.flushMs);
  }

  /** Write everything queued, then close the file. */
  close(): Promise<void> {
    this.ending = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    return new Promise((resolve) => {
      if (this.fdClosed) { resolve(); return; }
      this.closeWaiters.push(resolve);
      if (!this.writing) this.flush();
    });
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.queuedBytes === 0 || this.failed !== undefined) {
      if (this.ending) this.closeFile();
      return;
    }
    const buffers = this.queue;
    const total = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    this.writing = true;
    this.writingBytes = total;
    writev(this.fd, buffers, (err, written) => {
      this.writing = false;
      this.writingBytes = 0;
      if (err) {
        this.fail(err);
      } else if (written < total) {
        // A short write (rare on a file; a disk filling up): the rest goes first in the next write.
        this.queue = [...unwritten(buffers, written), ...this.queue];
        this.queuedBytes += total - written;
      }
      this.afterWrite();
    });
  }

  private afterWrite(): void {
    if (!this.congested) for (const w of this.drainWaiters.splice(0)) w();
    if (this.failed !== undefined || this.ending || this.queuedBytes >= this.flushBytes) this.flush();
    else if (this.queuedBytes > 0) this.timer ??= setTimeout(() => { this.timer = undefined; if (!this.writing) this.flush(); }, this.flushMs);
  }

  private fail(err: Error): void {
    if (this.failed === undefined) this.options.onError?.(err);
    this.failed ??= err;
    this.queue = [];
    this.queuedBytes = 0;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private closeFile(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    closeFd(this.fd, () => { for (const w of this.closeWaiters.splice(0)) w(); });
  }
}

/** What is left of `buffers` after the first `written` bytes. */
function unwritten(buffers: Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const b of buffers) {
    if (skip >= b.length) { skip -= b.length; continue; }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
