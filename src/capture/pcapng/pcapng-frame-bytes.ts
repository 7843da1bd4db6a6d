import { open } from 'node:fs/promises';
import type { Direction } from '../../imap/frame';
import { MAX_RANGE_BYTES, type ByteRange } from '../frame-bytes';
import { readPcapngCapture, type PacketPlace } from './pcapng-capture-reader';

/**
 * Byte ranges of one direction of one session from a pcapng capture: what ../frame-bytes.ts
 * `readCaptureRanges` does for JSON Lines captures, same contract (offsets count that direction's
 * bytes in the given layer, each range capped at MAX_RANGE_BYTES, ranges the file does not hold come
 * back shorter). Through the index only the session's blocks are visited, packet payloads are
 * skipped, and only the wanted bytes are read; the walk stops after the last range.
 */
export async function readPcapngRanges(path: string, session: number, direction: Direction, ranges: ByteRange[],
  layer: 'wire' | 'inflated' = 'wire'): Promise<Buffer[]> {
  const wanted = ranges.map((r) => ({ offset: r.offset, length: Math.max(0, Math.min(r.length, MAX_RANGE_BYTES)) }));
  const out = wanted.map((r) => Buffer.alloc(r.length));
  const filled = wanted.map(() => 0);
  const lastEnd = Math.max(0, ...wanted.map((r) => r.offset + r.length));
  const reads: Array<{ index: number; fileOffset: number; length: number; at: number }> = [];
  const first = Math.min(...wanted.map((r) => r.offset));
  await readPcapngCapture(path, () => undefined, {
    session, data: false, ...(wanted.length > 0 ? { near: { layer, direction, offset: first } } : {}),
    packets: (p: PacketPlace) => {
      if (p.direction !== direction || p.layer !== layer) return undefined;
      const start = p.streamOffset;
      const end = start + p.length;
      wanted.forEach((r, i) => {
        const from = Math.max(r.offset, start);
        const to = Math.min(r.offset + r.length, end);
        if (from < to) {
          reads.push({ index: i, fileOffset: p.fileOffset + (from - start), length: to - from, at: from - r.offset });
          filled[i] = Math.max(filled[i], to - r.offset);
        }
      });
      return end >= lastEnd ? 'stop' : undefined;
    },
  });
  if (reads.length > 0) {
    const file = await open(path, 'r');
    try {
      for (const r of reads) await file.read(out[r.index], r.at, r.length, r.fileOffset);
    } finally {
      await file.close();
    }
  }
  return out.map((b, i) => b.subarray(0, filled[i]));
}
