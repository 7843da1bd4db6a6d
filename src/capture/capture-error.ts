import type { HeaderRecord } from './format';

/** A capture that cannot be read: names the file (and line or offset). */
export class CaptureError extends Error {}

/** What the reader found besides the events. */
export interface CaptureReadResult {
  header: HeaderRecord;
  /** The last line or block was cut off (a killed writer); everything before it was read. */
  truncated: boolean;
}

/** Told how far a read has got: bytes of the file behind the reader, of `totalBytes`. */
export type ReadProgress = (bytesRead: number, totalBytes: number) => void;

/** What a reader of either capture format is asked for. */
export interface CaptureReadOptions {
  /** Only this session's events (a pcapng capture's index lets the reader seek to it). */
  session?: number;
  /**
   * False: the caller needs no data events (recorded frames, findings and session facts only); a
   * pcapng reader then skips packet payloads. JSON Lines captures still deliver them. 'sizes': data
   * events whose bytes are zeros of the payload's length (a pcapng reader skips the payloads, and
   * hands out a packet per event): for callers that only count bytes (stats, the viewer).
   */
  data?: boolean | 'sizes';
  onProgress?: ReadProgress;
}
