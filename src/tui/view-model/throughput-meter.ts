/** Bytes per second over the last few seconds, from per-second buckets (no per-chunk history). */
export class ThroughputMeter {
  private readonly buckets = new Map<number, number>();

  constructor(private readonly windowSeconds = 5) {}

  add(timeUs: number, bytes: number): void {
    const second = Math.floor(timeUs / 1_000_000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + bytes);
    if (this.buckets.size > this.windowSeconds * 4) this.prune(second);
  }

  /** Average bytes per second over the window ending at `nowUs`. */
  rate(nowUs: number): number {
    const now = Math.floor(nowUs / 1_000_000);
    let sum = 0;
    for (const [second, bytes] of this.buckets) if (second > now - this.windowSeconds && second <= now) sum += bytes;
    return sum / this.windowSeconds;
  }

  private prune(now: number): void {
    for (const second of [...this.buckets.keys()]) if (second <= now - this.windowSeconds) this.buckets.delete(second);
  }
}
