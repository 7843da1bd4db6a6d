/**
 * The trailing index of a pcapng capture: for each session, the file ranges that hold its blocks
 * (its packets, and the blocks that carry its metadata records), so a reader of one session seeks
 * to them instead of reading the whole file. Adjacent blocks merge into one range. It is written at
 * close as the file's last block (a custom block that must not be copied: a rewrite by editcap moves
 * every offset); a capture cut by a crash has none and is read by a sequential scan.
 */
export interface SessionRanges {
  id: number;
  /** [start, end) file offsets, ascending. */
  ranges: Array<[number, number]>;
}

export interface CaptureIndex {
  sessions: SessionRanges[];
}

/** Past this many ranges a session is left out of the index (its readers scan): the index stays small. */
export const MAX_RANGES_PER_SESSION = 100_000;

export class SessionIndexBuilder {
  private readonly sessions = new Map<number, Array<[number, number]> | 'too-many'>();

  /** A block at [start, end) holds something of each of `sessions`. */
  note(start: number, end: number, sessions: Iterable<number>): void {
    for (const id of new Set(sessions)) {
      let ranges = this.sessions.get(id);
      if (ranges === 'too-many') continue;
      if (!ranges) { ranges = []; this.sessions.set(id, ranges); }
      const last = ranges[ranges.length - 1];
      if (last && last[1] === start) last[1] = end;
      else if (ranges.length >= MAX_RANGES_PER_SESSION) this.sessions.set(id, 'too-many');
      else ranges.push([start, end]);
    }
  }

  build(): CaptureIndex {
    const sessions: SessionRanges[] = [];
    for (const [id, ranges] of this.sessions) if (ranges !== 'too-many') sessions.push({ id, ranges });
    return { sessions };
  }
}

/** The index as read back, or undefined when it is not well formed (then the reader scans). */
export function parseIndex(json: string): CaptureIndex | undefined {
  let value: unknown;
  try { value = JSON.parse(json); } catch { return undefined; }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { sessions?: unknown }).sessions)) return undefined;
  const sessions = (value as { sessions: unknown[] }).sessions;
  for (const s of sessions) {
    if (typeof s !== 'object' || s === null) return undefined;
    const { id, ranges } = s as { id?: unknown; ranges?: unknown };
    if (typeof id !== 'number' || !Array.isArray(ranges)) return undefined;
    let prev = 0;
    for (const r of ranges) {
      if (!Array.isArray(r) || r.length !== 2 || !Number.isSafeInteger(r[0]) || !Number.isSafeInteger(r[1]) || r[0] < prev || r[1] <= r[0]) return undefined;
      prev = r[1];
    }
  }
  return value as CaptureIndex;
}
