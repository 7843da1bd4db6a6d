import type { ReadProgress } from '../capture/capture-error';
import { stderrStatus, type StatusLine } from '../headless/terminal-output';

/**
 * A read shorter than this shows no meter at all. IMAPDBG_PROGRESS_AFTER_MS overrides it, so a test
 * on a pseudo-terminal sees the meter without depending on how fast the machine reads.
 */
export const SHOW_AFTER_MS = showAfterMs(process.env.IMAPDBG_PROGRESS_AFTER_MS);

function showAfterMs(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isSafeInteger(n) && n >= 0 ? n : 1000;
}
/** The line is redrawn at most this often. */
export const REDRAW_EVERY_MS = 250;

export interface ProgressMeter {
  /** Give this to a capture reader (or converter): bytes of the file read so far, of its size. */
  readonly onProgress: ReadProgress;
  /** Erase the line (if it was ever drawn); call when the read ends, also on error. */
  done(): void;
}

/**
 * Progress of a command reading or converting a capture, on standard error: `imapdbg: lint
 * big.pcapng: 120.5 MB of 1.0 GB (12%), 85.3 MB/s, 10 s left`. Drawn only on a terminal, only once
 * the command has been reading for SHOW_AFTER_MS, redrawn at most every REDRAW_EVERY_MS, erased at
 * the end. A command reading the file twice (two passes) shows each pass from its start.
 */
export function progressMeter(label: string, line: StatusLine = stderrStatus, now: () => number = Date.now,
  showAfter = SHOW_AFTER_MS): ProgressMeter {
  if (!line.terminal) return { onProgress: () => undefined, done: () => undefined };
  const startMs = now();
  let passStartMs = startMs;
  let lastBytes = 0;
  let lastDrawMs = -Infinity;
  let shown = false;
  return {
    onProgress: (bytesRead, totalBytes) => {
      if (bytesRead < lastBytes) passStartMs = now(); // a new pass over the file
      lastBytes = bytesRead;
      const t = now();
      if (t - startMs < showAfter || t - lastDrawMs < REDRAW_EVERY_MS) return;
      lastDrawMs = t;
      shown = true;
      line.show(`imapdbg: ${label}: ${progressText(bytesRead, totalBytes, (t - passStartMs) / 1000)}`);
    },
    done: () => {
      if (shown) line.clear();
      shown = false;
    },
  };
}

/** `120.5 MB of 1.0 GB (12%), 85.3 MB/s, 10 s left`. */
export function progressText(bytesRead: number, totalBytes: number, seconds: number): string {
  const rate = seconds > 0 ? bytesRead / seconds : 0;
  const percent = totalBytes > 0 ? Math.min(100, Math.floor((bytesRead / totalBytes) * 100)) : 100;
  const left = rate > 0 ? Math.max(0, Math.ceil((totalBytes - bytesRead) / rate)) : undefined;
  return `${size(bytesRead)} of ${size(totalBytes)} (${percent}%), ${size(rate)}/s${left === undefined ? '' : `, ${duration(left)} left`}`;
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}

function duration(seconds: number): string {
  return seconds >= 3600 ? `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`
    : seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}

/** Runs `read` with a meter, erasing it however `read` ends. */
export async function withProgress<T>(label: string, read: (onProgress: ReadProgress) => Promise<T>): Promise<T> {
  const meter = progressMeter(label);
  try {
    return await read(meter.onProgress);
  } finally {
    meter.done();
  }
}
