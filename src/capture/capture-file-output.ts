import { createWriteStream, type WriteStream } from 'node:fs';

/** Above this many bytes queued or being written, the writer asks the proxy to pause reading. */
export const CAPTURE_HIGH_WATER = 8 * 1024 * 1024;
/**
 * Queued bytes go to the file at once from this size on: a chunk of a big literal is written in the
 * turn it came, as before (batching those into 1 MiB writes measured slower: the held read buffers
 * lived through scavenges and more mark-compacts followed)...
 */
export const CAPTURE_FLUSH_BYTES = 64 * 1024;
/** ...smaller amounts wait at most this long: what a SIGKILL can lose, besides the write under way. */
export const CAPTURE_FLUSH_MS = 10;

export interface CaptureFileOutputOptions {
  /** Called once, at once, when writing fails (a full disk): the proxy keeps forwarding, recording stops. */
  onError?: (err: Error) => void;
  highWater?: number;
  flushBytes?: number;
  flushMs?: number;
}

/**
 * The file end of a capture writer, and the flow control the proxy reads (FlowControl): bytes in
 * order, through a write stream (writev on libuv's pool, one write per event-loop turn at most).
 * Small amounts (the records and packets of a NOOP round trip) are held for up to CAPTURE_FLUSH_MS
 * and go out together: each write is a hand-off to a pool thread and back (two wake-ups), which cost
 * the forwarding thread more than the bytes did, and a NOOP round trip paid for two of them. The
 * buffers are written as they are (a packet's payload is the proxy's own chunk), so nothing may
 * change them.
 */
export class CaptureFileOutput {
  private readonly out: WriteStream;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private corked = false;
  private timer: NodeJS.Timeout | undefined;
  private failed: Error | undefined;
  private ending = false;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly highWater: number;
  private readonly flushBytes: number;
  private readonly flushMs: number;

  constructor(fd: number, options: CaptureFileOutputOptions = {}) {
    this.highWater = options.highWater ?? CAPTURE_HIGH_WATER;
    this.flushBytes = options.flushBytes ?? CAPTURE_FLUSH_BYTES;
    this.flushMs = options.flushMs ?? CAPTURE_FLUSH_MS;
    this.out = createWriteStream('', { fd });
    this.out.on('error', (err) => {
      if (this.failed === undefined) options.onError?.(err);
      this.failed ??= err;
      this.held = [];
      this.heldBytes = 0;
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
    return this.failed === undefined && this.out.writableLength + this.heldBytes > this.highWater;
  }

  /** Resolves when the queue is below the high-water mark again (or writing failed). */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Queue bytes to be written after everything queued before. Ignored once writing failed or closing began. */
  write(bytes: Buffer): void {
    if (this.failed !== undefined || this.ending || bytes.length === 0) return;
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (this.heldBytes >= this.flushBytes) this.flush();
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
    if (this.heldBytes === 0 || this.failed !== undefined) return;
    // Everything handed over in one turn goes out as one writev.
    if (!this.corked) {
      this.corked = true;
      this.out.cork();
      process.nextTick(() => { this.corked = false; this.out.uncork(); });
    }
    for (const b of this.held) this.out.write(b);
    this.held = [];
    this.heldBytes = 0;
  }

  private wake(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
