import type { Frame } from '../../imap/frame';
import { isIdlePhase } from '../../imap/idle-tracker';

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
  /**
   * The tagged status that ended it (`OK`, `NO`, `BAD`), `closed` when the connection ended first,
   * `dropped` for an IDLE command imapdbg dropped, `unanswered` for a DONE whose response never came
   * before the client's next IDLE after it.
   */
  endedBy?: string;
  /** Untagged responses while the IDLE command was in progress (`* N EXISTS`...). */
  updates: number;
}

/** A session's periods not ended yet: the current one, and one whose DONE came before the next IDLE (pipelined). */
interface OpenBands {
  current?: { id: number; doneSent: boolean };
  closing?: number;
}

/**
 * The IDLE periods as the session model's IdleTracker annotated them (`idle-requested` ...
 * `idle-ended`), so that the bands, `stats` and lint tell the same story: a client that pipelines
 * `DONE` and its next `IDLE` has two periods, the first ending at its tagged response while the
 * second is already requested. A frame belongs to the period its IDLE phase names, else to the
 * session's current one.
 */
export class IdleBands {
  readonly all: IdleBand[] = [];
  private readonly open = new Map<number, OpenBands>();

  /** Observe a frame at `index`; returns the index in `all` of the period holding it, or -1. */
  observe(frame: Frame, index: number): number {
    const open = this.open.get(frame.session);
    let holder = open?.current?.id ?? -1;
    for (const a of frame.annotations) {
      if (!isIdlePhase(a)) continue;
      if (a.phase === 'idle-requested') {
        holder = this.request(frame, index, a.detail.tag);
        continue;
      }
      const id = open && this.named(open, a.detail.tag);
      if (id === undefined || !open) continue;
      holder = id;
      if (a.phase === 'idle-update') this.all[id].updates = a.detail.n;
      else if (a.phase === 'idle-done' && open.current?.id === id) open.current.doneSent = true;
      else if (a.phase === 'idle-ended' || a.phase === 'idle-rejected') {
        this.end(id, index, frame.timeUs, a.detail.status);
        if (open.current?.id === id) open.current = undefined;
        if (open.closing === id) open.closing = undefined;
      }
    }
    return holder;
  }

  /** The open period of a session, if any. */
  openBand(session: number): IdleBand | undefined {
    const id = this.open.get(session)?.current?.id;
    return id === undefined ? undefined : this.all[id];
  }

  /** The connection ended: open periods end with it. */
  endSession(session: number, timeUs: number, lastIndex: number | undefined): void {
    const open = this.open.get(session);
    if (!open) return;
    for (const id of [open.closing, open.current?.id]) {
      if (id !== undefined) this.end(id, lastIndex ?? this.all[id].startIndex, timeUs, 'closed');
    }
    this.open.delete(session);
  }

  /**
   * A new period. The tracker requests one only after the current one's DONE (that one is then
   * closing, awaiting its tagged response) or its end; a current one without DONE is an IDLE
   * imapdbg dropped (SessionModel.forgetCommand): it ends where it began. A closing one replaced
   * by another never got its response, as the tracker sees it.
   */
  private request(frame: Frame, index: number, tag: string): number {
    let open = this.open.get(frame.session);
    if (!open) this.open.set(frame.session, open = {});
    if (open.closing !== undefined && open.current?.doneSent) this.end(open.closing, index, frame.timeUs, 'unanswered');
    const previous = open.current;
    if (previous && !previous.doneSent) this.end(previous.id, this.all[previous.id].startIndex, this.all[previous.id].startUs, 'dropped');
    if (previous?.doneSent) open.closing = previous.id;
    this.all.push({ session: frame.session, tag, startIndex: index, startUs: frame.timeUs, updates: 0 });
    open.current = { id: this.all.length - 1, doneSent: false };
    return open.current.id;
  }

  private named(open: OpenBands, tag: string): number | undefined {
    for (const id of [open.current?.id, open.closing]) if (id !== undefined && this.all[id].tag === tag) return id;
    return undefined;
  }

  private end(id: number, index: number, timeUs: number, by: string): void {
    const band = this.all[id];
    if (band.endIndex !== undefined) return;
    band.endIndex = index;
    band.endUs = timeUs;
    band.endedBy = by;
  }
}
