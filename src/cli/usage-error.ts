/** A bad command line: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** Parse a positive integer option, or throw a UsageError naming the option. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive integer (got "${value}")`);
    return n;
  };
}
