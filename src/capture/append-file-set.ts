import { createWriteStream, type WriteStream } from 'node:fs';

/** Output files held open at once by default: far below any usual descriptor limit (1024). */
export const DEFAULT_MAX_OPEN_FILES = 64;

/**
 * Many output files written in turns (one rawlog pair per session of a capture) with at most
 * `maxOpen` of them open at a time: the least recently written is closed when another is needed,
 * and reopened for appending when written again. A capture with 600 sessions open at once would
 * otherwise need 1200 descriptors. Each file is created (truncated) 0600 on its first write.
 */
export class AppendFileSet {
  private readonly open = new Map<string, WriteStream>();
  private readonly closing = new Map<string, Promise<void>>();
  private readonly created = new Set<string>();
  private failed: Error | undefined;

  constructor(private readonly maxOpen = DEFAULT_MAX_OPEN_FILES) {}

  /** Write to `path`, waiting for the disk when its stream is full. */
  async write(path: string, chunk: string | Buffer): Promise<void> {
    const stream = await this.streamFor(path);
    if (!stream.write(chunk)) await new Promise<void>((resolve) => { stream.once('drain', resolve); stream.once('close', resolve); });
    this.check();
  }

  /** Close one file (its session ended); a later write reopens it for appending. */
  close(path: string): void {
    const stream = this.open.get(path);
    if (!stream) return;
    this.open.delete(path);
    // Wait for both the flush and the descriptor's release: a reopen must append after every byte.
    this.closing.set(path, new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.end();
    }));
  }

  /** Close every file and resolve when all are flushed; throws the first write error. */
  async closeAll(): Promise<void> {
    for (const path of [...this.open.keys()]) this.close(path);
    await Promise.all(this.closing.values());
    this.check();
  }

  private async streamFor(path: string): Promise<WriteStream> {
    const current = this.open.get(path);
    if (current) {
      // Most recently used last: Map keeps insertion order.
      this.open.delete(path);
      this.open.set(path, current);
      return current;
    }
    await this.closing.get(path);
    this.closing.delete(path);
    while (this.open.size >= this.maxOpen) {
      const oldest = this.open.keys().next().value as string;
      this.close(oldest);
      // Wait until its descriptor is released, so open descriptors really stay within the bound.
      await this.closing.get(oldest);
    }
    const stream = createWriteStream(path, { flags: this.created.has(path) ? 'a' : 'w', mode: 0o600 });
    this.created.add(path);
    stream.on('error', (err) => { this.failed ??= err; });
    this.open.set(path, stream);
    return stream;
  }

  private check(): void {
    if (this.failed) throw new Error(`cannot write rawlog: ${(this.failed as NodeJS.ErrnoException).code ?? this.failed.message}`);
  }
}
