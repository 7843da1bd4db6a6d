import { performance } from 'node:perf_hooks';

/** The Unix epoch in the monotonic clock's milliseconds, fixed at start-up. */
const originMs = Date.now() - performance.now();

/**
 * Microseconds since the Unix epoch, with sub-millisecond resolution from the monotonic clock.
 * (performance.now rather than hrtime.bigint: called per chunk, and three BigInts a call showed in
 * profiles; a double holds today's epoch microseconds exactly to well under one.)
 */
export function nowUs(): number {
  return Math.floor((originMs + performance.now()) * 1000);
}
