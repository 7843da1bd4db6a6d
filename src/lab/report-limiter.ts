/**
 * Lets reports through at a bounded rate (a token bucket): a script that throws on every frame
 * must not flood the capture, the screen or memory with identical errors. What it holds back is
 * counted, so the next report can say how many were not reported.
 */
export class ReportLimiter {
  private tokens: number;
  private lastMs: number;
  private held = 0;

  constructor(
    /** Reports allowed at once. */
    private readonly burst: number = 5,
    /** One more report allowed per this many ms. */
    private readonly refillMs: number = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.lastMs = now();
  }

  /** Whether to report now; when yes, `suppressed` is how many were held back since the last report. */
  take(): { report: true; suppressed: number } | { report: false } {
    const t = this.now();
    const refill = Math.floor((t - this.lastMs) / this.refillMs);
    if (refill > 0) {
      this.tokens = Math.min(this.burst, this.tokens + refill);
      this.lastMs += refill * this.refillMs;
    }
    if (this.tokens >= this.burst) this.lastMs = t;
    if (this.tokens <= 0) {
      this.held += 1;
      return { report: false };
    }
    this.tokens -= 1;
    const suppressed = this.held;
    this.held = 0;
    return { report: true, suppressed };
  }
}
