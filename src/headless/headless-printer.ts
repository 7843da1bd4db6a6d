import { performance } from 'node:perf_hooks';
import type { TextOutput } from './terminal-output';
import type { EventSink, ProxyEvent } from '../imap/events';
import { eventLine, type NotationOptions } from '../imap/notation';

/**
 * Lines go out once the oldest has waited this long, seen when a later event comes: while traffic
 * flows, a write every 100 ms or so, made in a turn the proxy is awake for anyway.
 */
export const FLUSH_AGE_MS = 100;
/**
 * When no event comes to see it, a timer writes them this long after the first. Both are about
 * how often the printer works between packets: a timer every 10 ms woke the proxy 100 times a
 * second while NOOPs flowed, and even flushing at events every 10 ms put the flush into 1-2% of
 * round trips; on a 2-vCPU VM either was a good part of imapdbg's NOOP p99 (1.0-3.4x the pipe's,
 * mostly 1.4-1.8x, against 0.5-1.2x at 100 ms; BENCHMARKS.md, stop 15).
 */
export const FLUSH_MS = 250;
/** ...or at once when this much text waits. */
const FLUSH_BYTES = 64 * 1024;
/**
 * Text held while the output does not keep up (a pipe nobody reads, a slow terminal). Beyond it
 * lines are dropped and counted: forwarding never waits for the printer, and the printer never
 * holds more than this plus one write in the stream's buffer.
 */
export const MAX_PENDING_CHARS = 1024 * 1024;

/**
 * Prints one line per frame (and per session start and end) as it happens. Lines are coalesced
 * for about 100 ms (FLUSH_AGE_MS, at most FLUSH_MS) into one write: each frame writing its own line
 * cost a syscall per frame, on the same thread that forwards bytes (measured: ~+28 µs of CPU per
 * NOOP round trip).
 * When the output's buffer is full, lines wait (up to MAX_PENDING_CHARS) until it drains; lines
 * after that are dropped, and once it drains a line says how many: `imapdbg: N lines not shown
 * (output too slow)`.
 */
export class HeadlessPrinter implements EventSink {
  private pending: string[] = [];
  private pendingChars = 0;
  /** When the oldest pending line was queued (performance.now(), ms). */
  private pendingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The output said its buffer is full; nothing is written until it drains. */
  private blocked = false;
  /** Lines dropped since the queue filled; they are counted, not kept. */
  private dropped = 0;

  private readonly options: NotationOptions;

  /**
   * Lines longer than `maxLineChars` (default 1000) are cut, saying how long they were. `clock`
   * (ms, monotonic) is for the tests.
   */
  constructor(
    private readonly out: TextOutput,
    options: NotationOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.options = { maxLineChars: 1000, ...options };
  }

  handle(event: ProxyEvent): void {
    const line = eventLine(event, this.options);
    if (line === undefined) return;
    // Once dropping starts it goes on until the output drains, so no line shows out of order.
    if (this.dropped > 0 || this.pendingChars + line.length + 1 > MAX_PENDING_CHARS) {
      this.dropped += 1;
      return;
    }
    const now = this.clock();
    if (this.pending.length === 0) this.pendingSince = now;
    this.pending.push(`${line}\n`);
    this.pendingChars += line.length + 1;
    if (this.blocked) return;
    // A flush by age or size leaves the timer armed (no clearTimeout and setTimeout per write):
    // when it fires it writes whatever came since, which then has waited less than FLUSH_MS.
    if (this.pendingChars >= FLUSH_BYTES || now - this.pendingSince >= FLUSH_AGE_MS) this.flush();
    else this.timer ??= setTimeout(() => { this.timer = undefined; this.flush(); }, FLUSH_MS);
  }

  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // At the end the lines go out whatever the output's state: the stream buffers them, bounded.
    this.blocked = false;
    this.noteDropped();
    this.flush();
    return Promise.resolve();
  }

  /** Lines dropped so far and not yet reported. */
  get droppedLines(): number {
    return this.dropped;
  }

  private noteDropped(): void {
    if (this.dropped === 0) return;
    const notice = `imapdbg: ${this.dropped} line${this.dropped === 1 ? '' : 's'} not shown (output too slow)\n`;
    this.pending.push(notice);
    this.pendingChars += notice.length;
    this.dropped = 0;
  }

  private flush(): void {
    if (this.blocked || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (!this.out.write(text)) {
      this.blocked = true;
      this.out.onDrain(() => {
        this.blocked = false;
        // The lines queued before the queue filled, then how many were dropped after them.
        this.noteDropped();
        this.flush();
      });
    }
  }
}
