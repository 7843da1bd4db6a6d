/**
 * The bytes of one direction's stream from the end of the last frame taken, kept as the chunks
 * that came (no copy per chunk, so appending is linear) and only up to `capBytes`: a frame larger
 * than that (a line that never ends, a huge literal) loses its bytes and is compared by what the
 * framer keeps of it instead, so memory stays bounded whatever a peer sends.
 */
export class FrameByteWindow {
  private chunks: Buffer[] = [];
  /** Index of the first chunk still kept (chunks before it are released; compacted now and then). */
  private head = 0;
  private kept = 0;
  /** Stream offset of the first kept byte. */
  private base = 0;
  /** Bytes were dropped since `base`'s frame began: the next frame taken has no bytes. */
  private dropped = false;

  constructor(private readonly capBytes: number) {}

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    if (this.kept <= this.capBytes) return;
    this.base += this.kept;
    this.chunks = [];
    this.head = 0;
    this.kept = 0;
    this.dropped = true;
  }

  /**
   * The bytes of the frame at `offset` (frames come in stream order), or undefined when they were
   * dropped. Everything before the frame's end is released.
   */
  take(offset: number, length: number): Buffer | undefined {
    const end = offset + length;
    const whole = !this.dropped && offset >= this.base;
    const bytes = whole ? this.slice(offset - this.base, end - this.base) : undefined;
    this.release(end);
    this.dropped = false;
    return bytes;
  }

  private slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = this.head; i < this.chunks.length && at < to; i++) {
      const c = this.chunks[i];
      const s = Math.max(from - at, 0);
      const e = Math.min(to - at, c.length);
      if (e > s) parts.push(c.subarray(s, e));
      at += c.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Drops kept bytes before stream offset `end`. */
  private release(end: number): void {
    while (this.head < this.chunks.length && this.base < end) {
      const first = this.chunks[this.head];
      const n = Math.min(first.length, end - this.base);
      if (n === first.length) this.head += 1;
      else this.chunks[this.head] = first.subarray(n);
      this.base += n;
      this.kept -= n;
    }
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    if (this.base < end) this.base = end;
  }
}
