import type { EventSink, ProxyEvent } from '../imap/events';
import { eventLine, type NotationOptions } from '../imap/notation';

/**
 * Prints one line per frame (and per session start and end) as it happens. Lines of one
 * event-loop turn go out in one write: a burst of frames costs one syscall, not one each.
 */
export class HeadlessPrinter implements EventSink {
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly options: NotationOptions,
  ) {}

  handle(event: ProxyEvent): void {
    const line = eventLine(event, this.options);
    if (line === undefined) return;
    this.pending.push(`${line}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  close(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.write(text);
  }
}
