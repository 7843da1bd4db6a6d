import type { Direction } from '../imap/frame';
import type { DataLayer } from '../imap/events';
import { directionCode, layerCode, type CaptureRecord } from './format';
import { recordLines } from './record-lines';

/** A byte range of one direction's stream: frames and literals carry their offset and length. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Most bytes one call hands back, whatever was asked: a 50 MB literal is shown by its first part. */
export const MAX_RANGE_BYTES = 1024 * 1024;

/**
 * Reads byte ranges of one direction of one session from a capture's `data` records, streaming
 * the file and stopping as soon as the last range is complete, so memory stays bounded by the
 * ranges (each capped at MAX_RANGE_BYTES) and not by the file. Offsets count the bytes of that
 * direction in the given layer, as the frames' offsets do. Ranges the capture does not hold
 * (yet) come back shorter than asked.
 */
export async function readCaptureRanges(path: string, session: number, direction: Direction, ranges: ByteRange[],
  layer: DataLayer = 'wire'): Promise<Buffer[]> {
  const wanted = ranges.map((r) => ({ offset: r.offset, length: Math.max(0, Math.min(r.length, MAX_RANGE_BYTES)) }));
  const out = wanted.map((r) => Buffer.alloc(r.length));
  const filled = wanted.map(() => 0);
  const lastEnd = Math.max(0, ...wanted.map((r) => r.offset + r.length));
  // Data records are written by hand in a fixed key order (capture-writer.ts), so a prefix test
  // skips every other record without parsing its JSON.
  const prefix = `"s":${session},"d":"${directionCode(direction)}","l":"${layerCode(layer)}"`;
  let position = 0;
  // Bounded lines (record-lines.ts): leaving the loop early closes the file.
  for await (const { text: line } of recordLines(path, 'capture')) {
    if (!line.startsWith('{"r":"data"') || !line.slice(0, 120).includes(prefix)) continue;
    let record: CaptureRecord;
    try {
      record = JSON.parse(line) as CaptureRecord;
    } catch {
      break; // a line cut off by a killed writer: nothing follows it
    }
    if (record.r !== 'data') continue;
    const chunkLength = Math.floor((record.b.length * 3) / 4) - (record.b.endsWith('==') ? 2 : record.b.endsWith('=') ? 1 : 0);
    const start = position;
    position += chunkLength;
    if (!wanted.some((r) => r.offset < position && r.offset + r.length > start)) {
      if (position >= lastEnd) break;
      continue;
    }
    const bytes = Buffer.from(record.b, 'base64');
    wanted.forEach((r, i) => {
      const from = Math.max(r.offset, start);
      const to = Math.min(r.offset + r.length, position);
      if (from < to) {
        bytes.copy(out[i], from - r.offset, from - start, to - start);
        filled[i] = Math.max(filled[i], to - r.offset);
      }
    });
    if (position >= lastEnd) break;
  }
  return out.map((b, i) => b.subarray(0, filled[i]));
}
