/** Distribution of a set of durations, nearest-rank percentiles, in µs. */
export interface DurationSummary {
  count: number;
  medianUs: number;
  p95Us: number;
  maxUs: number;
  /** Present (true) when median and p95 come from a histogram: within 1 % above the exact value. */
  approximate?: true;
}

/** Durations kept exactly; past this a digest switches to its histogram. */
export const EXACT_DURATIONS = 1024;

/** Histogram buckets grow by 1 %: ~2800 buckets at most from 1 µs to 11 days, a few hundred in practice. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

/**
 * A bounded record of durations: exact up to EXACT_DURATIONS values (median and p95 as the sorted
 * list gives them), then a log-bucket histogram whose quantiles are each bucket's upper bound
 * (at most 1 % high) and are labelled approximate. Count and maximum stay exact. Deterministic,
 * unlike a random reservoir, so a capture always gives the same stats.
 */
export class DurationDigest {
  private exact: number[] | undefined = [];
  private readonly buckets = new Map<number, number>();
  private n = 0;
  private max = 0;

  get count(): number {
    return this.n;
  }

  add(us: number): void {
    const v = Number.isFinite(us) && us > 0 ? us : 0;
    this.n += 1;
    if (v > this.max) this.max = v;
    if (this.exact) {
      this.exact.push(v);
      if (this.exact.length <= EXACT_DURATIONS) return;
      for (const e of this.exact) this.bucket(e);
      this.exact = undefined;
      return;
    }
    this.bucket(v);
  }

  summary(): DurationSummary {
    if (this.exact) return summary(this.exact);
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    const rank = (p: number): number => {
      const want = Math.max(1, Math.ceil(p * this.n));
      let seen = 0;
      for (const k of keys) {
        seen += this.buckets.get(k) ?? 0;
        if (seen >= want) return Math.min(this.max, upperBound(k));
      }
      return this.max;
    };
    return { count: this.n, medianUs: rank(0.5), p95Us: rank(0.95), maxUs: this.max, approximate: true };
  }

  /** The summary with `extra` values added, this digest unchanged (open IDLE periods, counted up to the session's end). */
  withExtra(extra: readonly number[]): DurationSummary {
    if (extra.length === 0) return this.summary();
    const copy = new DurationDigest();
    copy.n = this.n;
    copy.max = this.max;
    copy.exact = this.exact && [...this.exact];
    for (const [k, c] of this.buckets) copy.buckets.set(k, c);
    for (const v of extra) copy.add(v);
    return copy.summary();
  }

  private bucket(v: number): void {
    const k = v < 1 ? -1 : Math.floor(Math.log(v) / LOG_GROWTH);
    this.buckets.set(k, (this.buckets.get(k) ?? 0) + 1);
  }
}

function upperBound(bucket: number): number {
  return bucket < 0 ? 0 : Math.ceil(GROWTH ** (bucket + 1));
}

/** Count, nearest-rank median and 95th percentile, and maximum of a list of durations. */
export function summary(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, medianUs: 0, p95Us: 0, maxUs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { count: sorted.length, medianUs: rank(0.5), p95Us: rank(0.95), maxUs: sorted[sorted.length - 1] };
}
