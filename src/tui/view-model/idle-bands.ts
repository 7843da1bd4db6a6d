import type { Frame } from '../../imap/frame';

/** One IDLE period of a session (RFC 2177): from the `tag IDLE` command to its tagged response. */
export interface IdleBand {
  session: number;
  tag: string;
  /** Frame index of the IDLE command. */
  startIndex: number;
  startUs: number;
  /** Frame index of the tagged response (or the session's last frame); undefined while open. */
  endIndex?: number;
  endUs?: number;
  /** The tagged status that ended it (`OK`, `NO`, `BAD`), or `closed` when the connection ended first. */
  endedBy?: string;
  /** Server frames seen during the period other than the continuation (`* N EXISTS`...). */
  updates: number;
}

/**
 * Derives IDLE periods from the frames themselves, so that captures made before the IDLE
 * annotator existed show them too: the period opens at a client `IDLE` command and closes at the
 * server's tagged response with the same tag; everything in between (the `+`, untagged updates,
 * the client's `DONE`) belongs to it.
 */
export class IdleBands {
  readonly all: IdleBand[] = [];
  private readonly open = new Map<number, number>();

  /** Observe a frame at `index`; returns the index in `all` of the period holding it, or -1. */
  observe(frame: Frame, index: number): number {
    const openId = this.open.get(frame.session);
    if (openId === undefined) {
      if (frame.direction === 'client' && frame.kind === 'command' && frame.verb === 'IDLE' && frame.tag !== undefined) {
        this.all.push({ session: frame.session, tag: frame.tag, startIndex: index, startUs: frame.timeUs, updates: 0 });
        this.open.set(frame.session, this.all.length - 1);
        return this.all.length - 1;
      }
      return -1;
    }
    const band = this.all[openId];
    if (frame.direction === 'server' && frame.kind === 'tagged' && frame.tag === band.tag) {
      band.endIndex = index;
      band.endUs = frame.timeUs;
      band.endedBy = frame.verb ?? 'tagged';
      this.open.delete(frame.session);
    } else if (frame.direction === 'server' && frame.kind === 'untagged') {
      band.updates += 1;
    }
    return openId;
  }

  /** The open period of a session, if any. */
  openBand(session: number): IdleBand | undefined {
    const id = this.open.get(session);
    return id === undefined ? undefined : this.all[id];
  }

  /** The connection ended: an open period ends with it. */
  endSession(session: number, timeUs: number, lastIndex: number | undefined): void {
    const id = this.open.get(session);
    if (id === undefined) return;
    const band = this.all[id];
    band.endIndex = lastIndex ?? band.startIndex;
    band.endUs = timeUs;
    band.endedBy = 'closed';
    this.open.delete(session);
  }
}
