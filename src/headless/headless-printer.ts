import type { EventSink, ProxyEvent } from '../imap/events';
import { eventLine, type NotationOptions } from '../imap/notation';

/** Prints one line per frame (and per session start and end) as it happens. */
export class HeadlessPrinter implements EventSink {
  constructor(
    private readonly write: (line: string) => void,
    private readonly options: NotationOptions,
  ) {}

  handle(event: ProxyEvent): void {
    const line = eventLine(event, this.options);
    if (line !== undefined) this.write(`${line}\n`);
  }
}
