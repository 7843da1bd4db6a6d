import { boundedCopy, STORED_STRING_LIMITS } from '../../imap/bounded-string';
import type { Frame } from '../../imap/frame';
import type { IdleBand } from './idle-bands';

/** What a mark on the timeline stands for. */
export type TimelineMarkKind =
  /** The `tag IDLE` command: where a bar begins. */
  | 'idle'
  /** An untagged response while idling (`* N EXISTS`...): the push the user waits for. */
  | 'update'
  /** An untagged `* OK` while idling: the server's keepalive (RFC 2177 lets it send them), not a change. */
  | 'keepalive'
  /** The tagged response (or the connection's end) that closed the period. */
  | 'end'
  /** A lint finding, on a frame or on the session. */
  | 'finding';

/** One mark of a session's row, in time order. */
export interface TimelineMark {
  kind: TimelineMarkKind;
  timeUs: number;
  /** Store index of the frame the mark jumps to (a session finding: the session's last frame before it). */
  frame: number | undefined;
  /** A session finding's code (a frame's findings are read from the frame). */
  code?: string;
}

/** A session's IDLE periods and marks, in time order. */
export interface SessionTrack {
  bands: IdleBand[];
  marks: TimelineMark[];
}

const EMPTY: SessionTrack = { bands: [], marks: [] };

/**
 * What the timeline screen draws, per session, kept up to date as frames arrive so a render costs
 * only the visible rows: the session's IDLE periods (the store's bands, shared, so an open one
 * grows in place) and its marks. Nothing in here is rendered or depends on the terminal.
 */
export class TimelineIndex {
  private readonly tracks = new Map<number, SessionTrack>();
  /** Earliest and latest time seen, the capture's span. */
  firstUs: number | undefined;
  lastUs: number | undefined;

  /** A frame was stored at `index`; `band` is the IDLE period holding it, if any. */
  observeFrame(frame: Frame, index: number, band: IdleBand | undefined): void {
    this.seen(frame.timeUs);
    this.seen(frame.endUs);
    const track = this.ensure(frame.session);
    if (band && index === band.startIndex) {
      track.bands.push(band);
      track.marks.push({ kind: 'idle', timeUs: frame.timeUs, frame: index });
    } else if (band && frame.direction === 'server' && frame.kind === 'untagged') {
      track.marks.push({ kind: frame.verb === 'OK' ? 'keepalive' : 'update', timeUs: frame.timeUs, frame: index });
    } else if (band && index === band.endIndex) {
      track.marks.push({ kind: 'end', timeUs: frame.timeUs, frame: index });
    }
    if (frame.annotations.some((a) => a.kind === 'finding')) track.marks.push({ kind: 'finding', timeUs: frame.timeUs, frame: index });
  }

  /** A finding about the whole session; it jumps to the session's last frame so far. */
  observeSessionFinding(session: number, timeUs: number, code: string, lastFrame: number | undefined): void {
    this.seen(timeUs);
    const marks = this.ensure(session).marks;
    // Keep the marks in time order even when the finding's time is older than the last frame.
    let at = marks.length;
    while (at > 0 && marks[at - 1].timeUs > timeUs) at -= 1;
    marks.splice(at, 0, { kind: 'finding', timeUs, frame: lastFrame, code: boundedCopy(code, STORED_STRING_LIMITS.verb) });
  }

  /** A session ended after its last frame: a band it left open ends now, its `end` mark too. */
  observeSessionEnd(session: number, timeUs: number, closedBand: IdleBand | undefined): void {
    this.seen(timeUs);
    if (closedBand) this.ensure(session).marks.push({ kind: 'end', timeUs, frame: closedBand.endIndex });
  }

  /** Any other time seen (a session opening, data). */
  seen(timeUs: number): void {
    if (!(timeUs > 0)) return;
    if (this.firstUs === undefined || timeUs < this.firstUs) this.firstUs = timeUs;
    if (this.lastUs === undefined || timeUs > this.lastUs) this.lastUs = timeUs;
  }

  track(session: number): SessionTrack {
    return this.tracks.get(session) ?? EMPTY;
  }

  private ensure(session: number): SessionTrack {
    let t = this.tracks.get(session);
    if (!t) {
      t = { bands: [], marks: [] };
      this.tracks.set(session, t);
    }
    return t;
  }
}

/** First position in a time-ordered list whose time is at least `timeUs`. */
export function firstAtOrAfter<T>(list: readonly T[], timeUs: number, timeOf: (item: T) => number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (timeOf(list[mid]) < timeUs) lo = mid + 1; else hi = mid;
  }
  return lo;
}
