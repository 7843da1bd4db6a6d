import { constants, fchmodSync, fstatSync, lstatSync, openSync } from 'node:fs';
import type { EventSink, ProxyEvent } from '../imap/events';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type HeaderRecord } from './format';
import { encodeRecord } from './record-encoding';
import { CaptureFileOutput, type CaptureWriteMode } from './capture-file-output';

/** How to treat a file that is already there. */
export interface CaptureOpenOptions {
  /** Truncate an existing file (`--force`); without it an existing file is refused. */
  overwrite?: boolean;
  /** Called once, at once, when writing fails (a full disk): the proxy keeps forwarding, recording stops. */
  onError?: (err: Error) => void;
  /** Where file writes happen; by default chosen from the file's type (capture-file-output.ts). */
  writeMode?: CaptureWriteMode;
}

/** A capture file that cannot be created: the message names it and why. */
export class CaptureOpenError extends Error {
  override name = 'CaptureOpenError';
}

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
  private readonly out: CaptureFileOutput;

  constructor(readonly path: string, tool: string, createdUs: number, options: CaptureOpenOptions = {}) {
    this.out = new CaptureFileOutput(openCaptureFile(path, options.overwrite === true), { onError: options.onError, mode: options.writeMode });
    const header: HeaderRecord = { r: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, createdUs, tool };
    this.out.write(Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'));
  }

  /** The first write error, if any (a full disk must not take the proxy down: recording stops). */
  get error(): Error | undefined {
    return this.out.error;
  }

  /** True when more than CAPTURE_HIGH_WATER bytes wait for the disk: readers should pause. */
  get congested(): boolean {
    return this.out.congested;
  }

  /** Resolves when the queue has drained below the high-water mark (or writing failed). */
  whenDrained(): Promise<void> {
    return this.out.whenDrained();
  }

  handle(event: ProxyEvent): void {
    const record = encodeRecord(event);
    if (record !== '') this.out.write(Buffer.from(record, 'utf8'));
  }

  /** Flush every queued record and close the file. */
  close(): Promise<void> {
    return this.out.close();
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
