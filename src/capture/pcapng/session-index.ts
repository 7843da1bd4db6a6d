import { recordShapeProblem, type StreamLayerCode, type StreamRecord } from './metadata-records';

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
  /** The session's stream records, so a reader can start in the middle of its blocks. */
  streams?: StreamRecord[];
  /** Seek points inside its streams: [stream offset, file offset of the packet block starting there]. */
  marks?: StreamMarks[];
}

export interface StreamMarks {
  layer: StreamLayerCode;
  dir: 'c' | 's';
  marks: Array<[number, number]>;
}

/** A seek point every this many bytes of a stream: a 1 GiB literal gets about a thousand. */
export const MARK_EVERY = 1024 * 1024;

export interface CaptureIndex {
  sessions: SessionRanges[];
}

/** Past this many ranges a session is left out of the index (its readers scan): the index stays small. */
export const MAX_RANGES_PER_SESSION = 100_000;

export class SessionIndexBuilder {
  private readonly sessions = new Map<number, Array<[number, number]> | 'too-many'>();
  private readonly streams = new Map<number, StreamRecord[]>();
  private readonly marks = new Map<number, Map<string, StreamMarks>>();

  stream(record: StreamRecord): void {
    this.streams.set(record.s, [...(this.streams.get(record.s) ?? []), record]);
  }

  mark(session: number, layer: StreamLayerCode, dir: 'c' | 's', streamOffset: number, fileOffset: number): void {
    let bySide = this.marks.get(session);
    if (!bySide) { bySide = new Map(); this.marks.set(session, bySide); }
    let side = bySide.get(`${layer}${dir}`);
    if (!side) { side = { layer, dir, marks: [] }; bySide.set(`${layer}${dir}`, side); }
    side.marks.push([streamOffset, fileOffset]);
  }

  /** A block at [start, end) holds something of `session`, and of each of `others` (metadata it carries). */
  note(start: number, end: number, session: number, others?: readonly number[]): void {
    this.noteOne(start, end, session);
    if (others) for (let i = 0; i < others.length; i++) if (others[i] !== session) this.noteOne(start, end, others[i]);
  }

  private noteOne(start: number, end: number, id: number): void {
    let ranges = this.sessions.get(id);
    if (ranges === 'too-many') return;
    if (!ranges) { ranges = []; this.sessions.set(id, ranges); }
    const last = ranges[ranges.length - 1];
    if (last && last[1] === start) last[1] = end;
    else if (ranges.length >= MAX_RANGES_PER_SESSION) this.sessions.set(id, 'too-many');
    else ranges.push([start, end]);
  }

  build(): CaptureIndex {
    const sessions: SessionRanges[] = [];
    for (const [id, ranges] of this.sessions) {
      if (ranges === 'too-many') continue;
      const marks = [...(this.marks.get(id)?.values() ?? [])];
      sessions.push({ id, ranges, ...(marks.length > 0 ? { streams: this.streams.get(id) ?? [], marks } : {}) });
    }
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
    const { id, ranges, streams, marks } = s as { id?: unknown; ranges?: unknown; streams?: unknown; marks?: unknown };
    if (typeof id !== 'number' || !Array.isArray(ranges)) return undefined;
    if (streams !== undefined && (!Array.isArray(streams) || streams.some((r) => recordShapeProblem(r) !== undefined || (r as { k: unknown }).k !== 'stream'))) return undefined;
    if (marks !== undefined && (!Array.isArray(marks) || !marks.every((m: unknown) => {
      const side = m as { layer?: unknown; dir?: unknown; marks?: unknown };
      return typeof m === 'object' && m !== null && (side.layer === 'w' || side.layer === 'i' || side.layer === 'd') && (side.dir === 'c' || side.dir === 's')
        && Array.isArray(side.marks) && side.marks.every((p: unknown) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isSafeInteger(n) && n >= 0));
    }))) return undefined;
    let prev = 0;
    for (const r of ranges) {
      if (!Array.isArray(r) || r.length !== 2 || !Number.isSafeInteger(r[0]) || !Number.isSafeInteger(r[1]) || r[0] < prev || r[1] <= r[0]) return undefined;
      prev = r[1];
    }
  }
  return value as CaptureIndex;
}
