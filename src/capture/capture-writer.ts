import { constants, createWriteStream, fchmodSync, fstatSync, lstatSync, openSync, type WriteStream } from 'node:fs';
import type { EventSink, ProxyEvent } from '../imap/events';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type HeaderRecord } from './format';
import { encodeRecord } from './record-encoding';

/** How to treat a file that is already there. */
export interface CaptureOpenOptions {
  /** Truncate an existing file (`--force`); without it an existing file is refused. */
  overwrite?: boolean;
  /** Called once, at once, when writing fails (a full disk): the proxy keeps forwarding, recording stops. */
  onError?: (err: Error) => void;
}

/** A capture file that cannot be created: the message names it and why. */
export class CaptureOpenError extends Error {
  override name = 'CaptureOpenError';
}

/** Above this many queued bytes the writer asks the proxy to pause reading (backpressure). */
export const HIGH_WATER = 8 * 1024 * 1024;

/**
 * Writes the event stream to a capture file, a record per event, as it happens (not at session
 * end: a killed process keeps everything up to its last complete record). The file is mode 0600
 * from the moment it exists: it holds raw bytes, secrets included.
 *
 * It writes on the proxy's thread. A worker-thread writer was tried (commit 5083571): recording
 * throughput rose from ~0.35x to ~0.5x of a plain pipe, but peak RSS grew by 30-70 MB, shutdown
 * by a second, and once a fresh proxy stalled; this simpler writer won (BENCHMARKS.md).
 */
export class CaptureWriter implements EventSink {
  private readonly out: WriteStream;
  private failed: Error | undefined;
  private readonly drainWaiters: Array<() => void> = [];

  constructor(readonly path: string, tool: string, createdUs: number, options: CaptureOpenOptions = {}) {
    const fd = openCaptureFile(path, options.overwrite === true);
    this.out = createWriteStream(path, { fd });
    this.out.on('error', (err) => {
      if (this.failed === undefined) options.onError?.(err);
      this.failed ??= err;
      for (const w of this.drainWaiters.splice(0)) w();
    });
    this.out.on('drain', () => { for (const w of this.drainWaiters.splice(0)) w(); });
    const header: HeaderRecord = { r: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, createdUs, tool };
    this.out.write(`${JSON.stringify(header)}\n`);
  }

  /** The first write error, if any (a full disk must not take the proxy down: recording stops). */
  get error(): Error | undefined {
    return this.failed;
  }

  /** True when more than HIGH_WATER bytes wait for the disk: readers should pause. */
  get congested(): boolean {
    return this.failed === undefined && this.out.writableLength > HIGH_WATER;
  }

  /** Resolves when the queue has drained below the high-water mark (or writing failed). */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  handle(event: ProxyEvent): void {
    if (this.failed || this.out.writableEnded) return;
    this.out.write(encodeRecord(event));
  }

  /** Flush every queued record and close the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.out.writableEnded || this.out.destroyed) { resolve(); return; }
      this.out.end(() => resolve());
      this.out.once('error', () => resolve());
    });
  }
}

/**
 * Opens a new capture file for writing, synchronously, 0600, and returns its descriptor; or throws
 * CaptureOpenError naming it and why. Never through a symbolic link (O_NOFOLLOW: a link planted
 * where the capture goes would redirect raw bytes, secrets included); an existing file only with
 * `overwrite`, then truncated and made 0600 too (not a device such as /dev/full).
 */
export function openCaptureFile(path: string, overwrite: boolean): number {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (overwrite ? constants.O_TRUNC : constants.O_EXCL);
  let fd: number;
  try {
    fd = openSync(path, flags, 0o600);
  } catch (err) {
    let code = (err as NodeJS.ErrnoException).code;
    // O_EXCL refuses any link, dangling ones too, as "exists": say what it is.
    if (code === 'EEXIST') code = existingKind(path) ?? code;
    const why = code === 'EEXIST' ? 'it exists (pass --force to overwrite it)'
      : code === 'ELOOP' ? 'it is a symbolic link (not followed; name the file itself)'
        : code === 'EISDIR' ? 'it is a directory' : code ?? (err as Error).message;
    throw new CaptureOpenError(`cannot write capture ${path}: ${why}`);
  }
  if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
  return fd;
}

/** ELOOP for a symbolic link, EISDIR for a directory, as open(2) says without O_EXCL. */
function existingKind(path: string): 'ELOOP' | 'EISDIR' | undefined {
  try {
    const stat = lstatSync(path);
    return stat.isSymbolicLink() ? 'ELOOP' : stat.isDirectory() ? 'EISDIR' : undefined;
  } catch {
    return undefined;
  }
}
