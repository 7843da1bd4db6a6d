import { chmodSync, createWriteStream, type WriteStream } from 'node:fs';
import type { EventSink, ProxyEvent } from '../imap/events';
import { frameText } from '../imap/frame-text';
import { CAPTURE_FORMAT, CAPTURE_VERSION, directionCode, type HeaderRecord } from './format';

/** Above this many queued bytes the writer asks the proxy to pause reading (backpressure). */
const HIGH_WATER = 8 * 1024 * 1024;

/**
 * Writes the event stream to a capture file, a record per event, as it happens (not at session
 * end: a killed process keeps everything up to its last complete record). The file is mode 0600:
 * it holds raw bytes, secrets included.
 */
export class CaptureWriter implements EventSink {
  private readonly out: WriteStream;
  private failed: Error | undefined;
  private readonly drainWaiters: Array<() => void> = [];

  constructor(readonly path: string, tool: string, createdUs: number) {
    this.out = createWriteStream(path, { flags: 'w', mode: 0o600 });
    // `mode` applies only when the file is created; an existing file keeps its mode otherwise.
    try { chmodSync(path, 0o600); } catch { /* created asynchronously; the open mode covers it */ }
    this.out.on('error', (err) => { this.failed = err; });
    this.out.on('drain', () => { for (const w of this.drainWaiters.splice(0)) w(); });
    const header: HeaderRecord = { r: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, createdUs, tool };
    this.out.write(`${JSON.stringify(header)}\n`);
  }

  /** The first write error, if any (a full disk must not take the proxy down). */
  get error(): Error | undefined {
    return this.failed;
  }

  /** True when more than HIGH_WATER bytes wait for the disk: readers should pause. */
  get congested(): boolean {
    return this.out.writableLength > HIGH_WATER;
  }

  /** Resolves when the queue has drained below the high-water mark. */
  whenDrained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  handle(event: ProxyEvent): void {
    if (this.failed) return;
    this.out.write(encodeRecord(event));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.out.closed || this.out.destroyed) { resolve(); return; }
      this.out.end(() => resolve());
    });
  }
}

/** One event as one capture line. Data records are built by hand: base64 needs no escaping. */
export function encodeRecord(event: ProxyEvent): string {
  switch (event.type) {
    case 'data':
      return `{"r":"data","t":${event.timeUs},"s":${event.session},"d":"${directionCode(event.direction)}","l":"${event.layer === 'wire' ? 'w' : 'i'}","b":"${event.bytes.toString('base64')}"}\n`;
    case 'frame':
      return `${JSON.stringify({ r: 'frame', text: frameText(event.frame, { revealSecrets: false }), f: event.frame })}\n`;
    case 'session-open':
      return `${JSON.stringify({ r: 'session-open', session: event.session })}\n`;
    case 'finding':
      return `${JSON.stringify({ r: 'finding', t: event.timeUs, s: event.session, finding: event.finding })}\n`;
    case 'tls':
      return `${JSON.stringify({ r: 'tls', t: event.timeUs, s: event.session, tls: event.tls })}\n`;
    case 'session-close':
      return `${JSON.stringify({ r: 'session-close', t: event.timeUs, s: event.session, end: event.end, bytes: event.bytes, frames: event.frames })}\n`;
    default: {
      const never: never = event;
      return never;
    }
  }
}
