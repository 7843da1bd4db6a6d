import type { Direction } from '../../src/imap/frame';

/** One write by one peer. */
export interface TranscriptStep {
  direction: Direction;
  bytes: Buffer;
}

/**
 * Parse a dialog in the RFCs' notation: `C: text` and `S: text` lines, each sent with CRLF.
 * Consecutive lines of the same peer stay separate writes. `\n`-only line ends can be written as
 * `C:~ text` (no CR), and a line without terminator as `C:. text`.
 */
export function transcript(text: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s+/, '');
    if (line === '') continue;
    const m = /^([CS]):([~.]?) ?(.*)$/.exec(line);
    if (!m) throw new Error(`bad transcript line: ${raw}`);
    const ending = m[2] === '~' ? '\n' : m[2] === '.' ? '' : '\r\n';
    steps.push({ direction: m[1] === 'C' ? 'client' : 'server', bytes: Buffer.from(m[3] + ending, 'latin1') });
  }
  return steps;
}

/** Split every step into chunks at the given cut function (returns cut points within a step). */
export function rechunk(steps: TranscriptStep[], cuts: (len: number, stepIndex: number) => number[]): TranscriptStep[][] {
  return steps.map((step, index) => {
    const points = [...new Set(cuts(step.bytes.length, index))].filter((p) => p > 0 && p < step.bytes.length).sort((a, b) => a - b);
    const out: TranscriptStep[] = [];
    let prev = 0;
    for (const p of [...points, step.bytes.length]) {
      out.push({ direction: step.direction, bytes: step.bytes.subarray(prev, p) });
      prev = p;
    }
    return out;
  });
}

/** A small deterministic PRNG, so a random split that fails can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/**
 * Require `output` to be the same for the steps whole, split at every offset of every step, byte
 * by byte, and at random points (seeds 1..`seeds`); the error names the split that differs.
 */
export function sameAtEverySplit(steps: TranscriptStep[], output: (chunked: TranscriptStep[][]) => string, what: string, seeds = 20): void {
  const expected = output(rechunk(steps, () => []));
  const check = (chunked: TranscriptStep[][], label: string): void => {
    const got = output(chunked);
    if (got !== expected) throw new Error(`${what} differ when split ${label}:\n${got}\n!==\n${expected}`);
  };
  const longest = Math.max(...steps.map((s) => s.bytes.length));
  for (let k = 1; k < longest; k++) check(rechunk(steps, () => [k]), `at offset ${k}`);
  check(rechunk(steps, (len) => Array.from({ length: len }, (_, i) => i)), 'byte by byte');
  for (let seed = 1; seed <= seeds; seed++) {
    const r = prng(seed);
    check(rechunk(steps, (len) => Array.from({ length: 3 }, () => Math.floor(r() * len))), `randomly (seed ${seed})`);
  }
}
