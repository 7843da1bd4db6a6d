/** Microseconds since the Unix epoch, with sub-millisecond resolution from the monotonic clock. */
const originUs = BigInt(Date.now()) * 1000n - process.hrtime.bigint() / 1000n;

export function nowUs(): number {
  return Number(originUs + process.hrtime.bigint() / 1000n);
}
