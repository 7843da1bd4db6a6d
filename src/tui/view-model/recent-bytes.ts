import type { ByteRange } from '../../capture/frame-bytes';
import type { ProxyEvent } from '../../imap/events';
import type { Direction } from '../../imap/frame';
import type { ByteSource } from './byte-source';

interface Ring {
  /** Stream offset of chunks[0]. */
  start: number;
  chunks: Buffer[];
  held: number;
}

/**
 * The most recent bytes of each direction of each session, for the detail pane when the proxy runs
 * without a capture file. Bounded per direction (oldest chunks are dropped) and in the number of
 * sessions held (the oldest sessions are forgotten first).
 */
export class RecentBytes implements ByteSource {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly perDirection = 4 * 1024 * 1024, private readonly maxSessions = 32) {}

  /** Keep the bytes of a wire-layer data event. */
  handle(event: ProxyEvent): void {
    if (event.type !== 'data' || event.layer !== 'wire') return;
    const key = `${event.session}:${event.direction}`;
    let ring = this.rings.get(key);
    if (!ring) {
      ring = { start: 0, chunks: [], held: 0 };
      this.rings.set(key, ring);
      this.forgetOldSessions();
    }
    ring.chunks.push(Buffer.from(event.bytes)); // a copy: the proxy lends its read buffer for the event only
    ring.held += event.bytes.length;
    while (ring.held - ring.chunks[0].length >= this.perDirection) {
      const dropped = ring.chunks.shift() as Buffer;
      ring.held -= dropped.length;
      ring.start += dropped.length;
    }
  }

  read(session: number, direction: Direction, ranges: ByteRange[]): Promise<Buffer[]> {
    const ring = this.rings.get(`${session}:${direction}`);
    return Promise.resolve(ranges.map((r) => (ring ? slice(ring, r) : Buffer.alloc(0))));
  }

  private forgetOldSessions(): void {
    const sessions = [...new Set([...this.rings.keys()].map((k) => k.split(':')[0]))];
    for (const s of sessions.slice(0, Math.max(0, sessions.length - this.maxSessions))) {
      this.rings.delete(`${s}:client`);
      this.rings.delete(`${s}:server`);
    }
  }
}

/** The part of a range the ring still holds, from the range's start; empty if its start was dropped. */
function slice(ring: Ring, r: ByteRange): Buffer {
  if (r.offset < ring.start) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let pos = ring.start;
  let need = r.length;
  for (const c of ring.chunks) {
    const end = pos + c.length;
    if (end > r.offset && need > 0) {
      const from = Math.max(0, r.offset - pos);
      const piece = c.subarray(from, Math.min(c.length, from + need));
      parts.push(piece);
      need -= piece.length;
    }
    pos = end;
    if (need <= 0) break;
  }
  return Buffer.concat(parts);
}
