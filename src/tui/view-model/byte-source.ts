import type { ByteRange } from '../../capture/frame-bytes';
import type { Direction } from '../../imap/frame';

/** Where the detail pane gets the bytes of a frame's lines and literals. */
export interface ByteSource {
  /** Each range's bytes, shorter (possibly empty) where the source no longer or not yet holds them. */
  read(session: number, direction: Direction, ranges: ByteRange[]): Promise<Buffer[]>;
}

/** Tries sources in order, keeping the longest answer per range. */
export function firstOf(sources: ByteSource[]): ByteSource {
  return {
    async read(session, direction, ranges) {
      let best: Buffer[] = ranges.map(() => Buffer.alloc(0));
      for (const source of sources) {
        const got = await source.read(session, direction, ranges);
        best = best.map((b, i) => (got[i] && got[i].length > b.length ? got[i] : b));
        if (best.every((b, i) => b.length >= ranges[i].length)) break;
      }
      return best;
    },
  };
}
