import { closeSync, existsSync, fstatSync, fchmodSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventSink, ProxyEvent } from '../imap/events';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type HeaderRecord } from './format';

/** Above this many bytes handed to the writer thread and not yet written, the proxy should pause reading. */
const HIGH_WATER = 8 * 1024 * 1024;
/** Size of a pooled batch buffer; a batch is posted once it holds this much (or at the end of the turn). */
const BATCH_BYTES = 1024 * 1024;
/**
 * A batch smaller than this at the end of a turn travels in an exact-size copy and the batch
 * buffer stays here for the next turn: no buffer to hand back, so no message back for it.
 */
const COPY_BELOW = 32 * 1024;
/** How many returned batch buffers are kept for reuse. */
const POOL_MAX = HIGH_WATER / BATCH_BYTES + 4;
/**
 * Small batches go over at most this often (ms): a chatty session (a NOOP every few hundred µs)
 * then wakes the thread a thousand times a second at most instead of twice per round trip.
 * Records still reach the file within about a millisecond.
 */
const MIN_GAP_MS = 1;
/** What a non-data event counts for in the in-flight total (they are small; frames a few hundred bytes). */
const EVENT_COST = 256;

/** Slots of the shared counters (BigInt64Array). */
export const WRITTEN = 0;
/** Set by the writer when it waits for the thread to catch up; the thread then posts `drained`. */
export const WAITING = 1;
/** The writer's running total of cost posted (the same as the `posted` of its latest batch). */
export const POSTED = 2;
/** Set by the writer when it holds a batch back until the thread is idle; the thread then posts `idle`. */
export const HOLDING = 3;
export { HIGH_WATER };

/** Where a `data` event's bytes sit in a batch buffer; everything else of the event travels as is. */
export interface DataRef {
  type: 'data-ref';
  session: number;
  direction: 'client' | 'server';
  timeUs: number;
  layer: 'wire' | 'inflated';
  offset: number;
  length: number;
}

/** Messages from the writer to its thread. */
export type ToWorker =
  /** `posted` is the running total of cost posted, this batch included. */
  | { kind: 'batch'; buf: ArrayBuffer | undefined; items: Array<DataRef | ProxyEvent>; posted: number }
  | { kind: 'close' };

/** Messages from the thread back (none in the steady state: progress goes through shared memory). */
export type FromWorker =
  /** Batch buffers written out, for reuse. */
  | { kind: 'buffers'; bufs: ArrayBuffer[] }
  /** The thread has written everything posted, and the writer holds a batch back. */
  | { kind: 'idle' }
  /** In-flight cost went below the high-water mark while the writer waited. */
  | { kind: 'drained' }
  /** The first write error; the thread writes nothing after it. */
  | { kind: 'error'; message: string; code?: string }
  /** Everything is written and synced; the thread exits next (the writer closes the descriptor). */
  | { kind: 'closed' };

/** What the thread gets at start. */
export interface WorkerInit {
  fd: number;
  header: string;
  /** BigInt64Array slots WRITTEN, WAITING, POSTED and HOLDING. */
  shared: SharedArrayBuffer;
  bufferBytes: number;
}

/** The compiled worker next to this file (dist/src/capture/capture-worker.js). */
const WORKER_PATH = path.join(__dirname, 'capture-worker.js');

/**
 * Writes the event stream to a capture file, a record per event, as it happens (not at session
 * end: a killed process keeps everything up to its last complete record). The file is mode 0600:
 * it holds raw bytes, secrets included.
 *
 * The encoding (base64, JSON) and the writes run on a worker thread (`capture-worker.ts`), so
 * that the thread forwarding bytes only copies each chunk into a batch buffer. Batches go over
 * once per event-loop turn, or as soon as one holds a MiB, with their buffer transferred; events
 * other than data travel in the same message, so the records keep the order of the events.
 * The thread reports progress in a shared counter, which `congested` reads.
 */
export class CaptureWriter implements EventSink {
  private readonly worker: Worker;
  private readonly fd: number;
  private readonly shared: BigInt64Array;
  private failed: Error | undefined;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly pool: ArrayBuffer[] = [];

  /** The batch being filled. */
  private buf: Buffer | undefined;
  private pos = 0;
  private items: Array<DataRef | ProxyEvent> = [];
  private cost = 0;
  private scheduled = false;

  /** Running total of cost posted. */
  private posted = 0;
  private synced = false;
  private exited = false;
  private closing: Promise<void> | undefined;
  private closeRequested = false;
  /** A batch waits for the thread to finish the ones before it. */
  private holding = false;
  private lastPostMs = -Infinity;
  private gapTimer: NodeJS.Timeout | undefined;
  private refd = true;

  constructor(readonly path: string, tool: string, createdUs: number) {
    if (!existsSync(WORKER_PATH)) throw new Error(`capture writer: worker script ${WORKER_PATH} is missing (build with tsc)`);
    // Created 0600 before the constructor returns; an existing file is truncated and made 0600 too.
    this.fd = openSync(path, 'w', 0o600);
    try {
      if (fstatSync(this.fd).isFile()) fchmodSync(this.fd, 0o600);
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
    const header: HeaderRecord = { r: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, createdUs, tool };
    const shared = new SharedArrayBuffer(4 * BigInt64Array.BYTES_PER_ELEMENT);
    this.shared = new BigInt64Array(shared);
    const init: WorkerInit = { fd: this.fd, header: `${JSON.stringify(header)}\n`, shared, bufferBytes: BATCH_BYTES };
    try {
      // Not --cpu-prof and its options: a fixed --cpu-prof-name would make both threads write one file.
      const execArgv = stripCpuProf(process.execArgv);
      // A small young generation: the thread's garbage is short-lived base64 strings, and the
      // default one grows to tens of MB of RSS during a big transfer.
      this.worker = new Worker(WORKER_PATH, { workerData: init, execArgv, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    } catch (err) {
      closeSync(this.fd);
      throw new Error(`capture writer: cannot start the writer thread: ${(err as Error).message}`);
    }
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => {
      this.exited = true;
      // The descriptor is closed here only, once the thread can no longer use it.
      try { closeSync(this.fd); } catch { /* nothing to do */ }
      // A thread that fails reports 'error' first; a clean exit before close() was asked for loses records.
      if (!this.synced && !this.closeRequested) this.fail(new Error('capture writer thread exited before the capture was closed'));
      this.release();
    });
    // The thread keeps the process alive only while someone waits on it (close, whenDrained).
    this.updateRef();
  }

  /** The first write error, if any (a full disk must not take the proxy down). */
  get error(): Error | undefined {
    return this.failed;
  }

  /** True when more than HIGH_WATER bytes wait for the disk: readers should pause. */
  get congested(): boolean {
    return this.failed === undefined && !this.exited && this.backlog() > HIGH_WATER;
  }

  /** Resolves when the queue has drained below the high-water mark. */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.updateRef();
      this.armDrain();
    });
  }

  handle(event: ProxyEvent): void {
    if (this.failed || this.closeRequested) return;
    if (event.type === 'data') {
      const bytes = event.bytes;
      const n = bytes.length;
      if (this.buf === undefined || this.pos + n > this.buf.length) {
        if (this.items.length > 0) this.post();
        if (this.buf === undefined || this.pos + n > this.buf.length) {
          if (this.buf?.length === BATCH_BYTES && this.pool.length < POOL_MAX) this.pool.push(this.buf.buffer as ArrayBuffer);
          this.buf = this.takeBuffer(n);
        }
      }
      bytes.copy(this.buf, this.pos);
      this.items.push({ type: 'data-ref', session: event.session, direction: event.direction, timeUs: event.timeUs,
        layer: event.layer, offset: this.pos, length: n });
      this.pos += n;
      this.cost += n;
      if (this.pos >= BATCH_BYTES) { this.post(); return; }
    } else {
      this.items.push(event);
      this.cost += EVENT_COST;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.endOfTurn();
      });
    }
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closeRequested = true;
    this.closing = new Promise<void>((resolve) => {
      if (this.exited) { resolve(); return; }
      this.worker.once('exit', () => resolve());
      if (this.items.length > 0) this.post();
      this.updateRef();
      this.worker.postMessage({ kind: 'close' } satisfies ToWorker);
    });
    return this.closing;
  }

  /**
   * At the end of a turn the batch goes over at once when the thread is idle, so that records
   * reach the file without delay. While the thread is still writing earlier batches it could not
   * start on this one sooner anyway: the batch keeps filling (up to a MiB) until the thread says
   * it is idle. Bulk transfers then cost a message per MiB rather than one per socket read.
   */
  private endOfTurn(): void {
    if (this.items.length === 0 || this.failed || this.exited) return;
    if (!this.threadBusy()) {
      const wait = this.lastPostMs + MIN_GAP_MS - performance.now();
      if (wait <= 0 || this.pos >= COPY_BELOW) { this.post(); return; }
      this.gapTimer ??= setTimeout(() => { this.gapTimer = undefined; this.endOfTurn(); }, wait);
      return;
    }
    this.holding = true;
    this.updateRef();
    Atomics.store(this.shared, HOLDING, 1n);
    // Look again, in case the thread got idle before it could see the flag.
    if (!this.threadBusy()) this.post();
  }

  private threadBusy(): boolean {
    return Number(Atomics.load(this.shared, WRITTEN)) < this.posted;
  }

  /** Cost posted or waiting to be posted, not yet written by the thread. */
  private backlog(): number {
    return this.posted + this.cost - Number(Atomics.load(this.shared, WRITTEN));
  }

  /**
   * Sends the batch being filled. A big batch's buffer is transferred (the thread hands it back
   * when written); a small one is copied out and the buffer filled again next turn.
   */
  private post(): void {
    if (this.failed || this.exited) { this.resetBatch(); return; }
    let ab: ArrayBuffer | undefined;
    if (this.buf && this.pos > 0) {
      if (this.pos < COPY_BELOW) {
        ab = new ArrayBuffer(this.pos);
        this.buf.copy(new Uint8Array(ab), 0, 0, this.pos);
      } else {
        ab = this.buf.buffer as ArrayBuffer;
        this.buf = undefined;
      }
    }
    if (this.gapTimer) { clearTimeout(this.gapTimer); this.gapTimer = undefined; }
    this.lastPostMs = performance.now();
    this.posted += this.cost;
    Atomics.store(this.shared, POSTED, BigInt(this.posted));
    const msg: ToWorker = { kind: 'batch', buf: ab, items: this.items, posted: this.posted };
    this.worker.postMessage(msg, ab ? [ab] : []);
    this.resetBatch();
    if (this.holding) {
      this.holding = false;
      Atomics.store(this.shared, HOLDING, 0n);
      this.updateRef();
    }
  }

  private resetBatch(): void {
    this.pos = 0;
    this.items = [];
    this.cost = 0;
  }

  /** A pooled batch buffer, or a fresh one (bigger than a batch for a chunk that big). */
  private takeBuffer(atLeast: number): Buffer {
    if (atLeast <= BATCH_BYTES) {
      const ab = this.pool.pop() ?? new ArrayBuffer(BATCH_BYTES);
      return Buffer.from(ab);
    }
    return Buffer.from(new ArrayBuffer(atLeast));
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.kind) {
      case 'buffers':
        for (const b of msg.bufs) if (b.byteLength === BATCH_BYTES && this.pool.length < POOL_MAX) this.pool.push(b);
        break;
      case 'idle':
        if (this.holding) this.endOfTurn();
        break;
      case 'drained':
        // Still behind when more was posted since: ask again.
        if (this.drainWaiters.length > 0) this.armDrain();
        break;
      case 'error': {
        const err = new Error(msg.message) as NodeJS.ErrnoException;
        if (msg.code) err.code = msg.code;
        this.fail(err);
        break;
      }
      case 'closed':
        this.synced = true;
        break;
    }
  }

  /** Recording stops at the first error; the proxy goes on. */
  private fail(err: Error): void {
    this.failed ??= err;
    this.holding = false;
    this.resetBatch();
    this.buf = undefined;
    this.release();
  }

  /** Asks the thread for a word once it gets below the mark; then looks again, in case it got there first. */
  private armDrain(): void {
    Atomics.store(this.shared, WAITING, 1n);
    if (!this.congested) this.release();
  }

  private release(): void {
    for (const w of this.drainWaiters.splice(0)) w();
    this.updateRef();
  }

  private updateRef(): void {
    if (this.exited) return;
    const on = this.closeRequested || this.holding || this.drainWaiters.length > 0;
    if (on === this.refd) return;
    this.refd = on;
    if (on) this.worker.ref(); else this.worker.unref();
  }
}

function stripCpuProf(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--cpu-prof') continue;
    if (a.startsWith('--cpu-prof-')) {
      if (!a.includes('=')) i += 1;
      continue;
    }
    out.push(a);
  }
  return out;
}
