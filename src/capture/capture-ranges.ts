import type { Direction } from '../imap/frame';
import { readCaptureRanges as readJsonlRanges, type ByteRange } from './frame-bytes';
import { captureFormatOf } from './pcapng/capture-format-sniffer';
import { readPcapngRanges } from './pcapng/pcapng-frame-bytes';

/**
 * Byte ranges of one direction of one session, from a capture of either format chosen by content:
 * a pcapng capture seeks through its index (readPcapngRanges), a JSON Lines one is streamed
 * (frame-bytes.ts). Same contract for both.
 */
export function readCaptureRanges(path: string, session: number, direction: Direction, ranges: ByteRange[],
  layer: 'wire' | 'inflated' = 'wire'): Promise<Buffer[]> {
  return captureFormatOf(path) === 'pcapng' ? readPcapngRanges(path, session, direction, ranges, layer)
    : readJsonlRanges(path, session, direction, ranges, layer);
}
