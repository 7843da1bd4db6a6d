import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import type { Annotation, Frame } from './frame';
import { NO_ANNOTATIONS } from './no-results';
import { phaseMaker, type DetailOf, type PhaseAnnotationOf, type PhaseSpecs } from './phase-detail';
import type { FrameAnnotator } from './session-model';

/** One IDLE command from its request to its tagged response (RFC 2177 3). Times in µs since the epoch. */
export interface IdlePeriod {
  tag: string;
  /** First byte of the `tag IDLE` command. */
  startUs: number;
  /** The server's `+` (absent when it never came). */
  acceptedUs?: number;
  /** The client's `DONE`. */
  doneUs?: number;
  /** The tagged response. */
  endUs?: number;
  /** Untagged responses while the IDLE command was in progress. */
  updates: number;
  /** From the previous IDLE's tagged response to this IDLE command: how fast the client re-idles. */
  gapUs?: number;
  outcome: 'open' | 'ended' | 'rejected';
  status?: 'OK' | 'NO' | 'BAD';
}

/** The IDLE phases and their detail fields (durations in µs, in fields ending in `Us`). */
export const IDLE_PHASES = {
  'idle-requested': { tag: 'string', gapUs: 'number?' },
  'idle-accepted': { tag: 'string', waitUs: 'number' },
  'idle-update': { tag: 'string', n: 'number', sinceUs: 'number', verb: 'string' },
  'idle-done': { tag: 'string', sinceUs: 'number', updates: 'number' },
  'idle-ended': { tag: 'string', status: ['OK', 'NO', 'BAD'], durationUs: 'number', updates: 'number', doneSent: 'boolean', gapUs: 'number?' },
  'idle-rejected': { tag: 'string', status: ['OK', 'NO', 'BAD'], waitUs: 'number' },
} as const satisfies PhaseSpecs;

/** An IDLE phase annotation (IdleTracker). */
export type IdlePhaseAnnotation = PhaseAnnotationOf<typeof IDLE_PHASES>;

/** The detail of IDLE phase `P`. */
export type IdleDetail<P extends keyof typeof IDLE_PHASES> = DetailOf<(typeof IDLE_PHASES)[P]>;

const phase = phaseMaker<typeof IDLE_PHASES>();

/** True for the IDLE phases among a frame's annotations. */
export function isIdlePhase(a: Annotation): a is IdlePhaseAnnotation {
  return a.kind === 'phase' && Object.hasOwn(IDLE_PHASES, a.phase);
}

/** IDLE periods kept for `periods` (the most recent); a client that re-idles forever must not grow the tracker. */
export const MAX_KEPT_IDLE_PERIODS = 1000;

/**
 * Where the IDLE exchange stands, as one closed set (imap-next's `IdleAccept` / `IdleDone`
 * expectations) rather than flags:
 * - `requested`: `tag IDLE` sent, the server has not answered with `+` yet;
 * - `idling`: the server sent `+` and waits for `DONE`; the client must not send commands;
 * - `done-sent`: the client sent `DONE`, the tagged response has not come yet.
 */
export type IdlePhase =
  | { kind: 'none' }
  | { kind: 'requested'; period: IdlePeriod }
  | { kind: 'idling'; period: IdlePeriod }
  | { kind: 'done-sent'; period: IdlePeriod };

/**
 * Annotates the IDLE exchange (RFC 2177): `idle-requested`, `idle-accepted` (the `+`), `idle-update`
 * for each untagged response while idling (counted, with the time since the IDLE began), `idle-done`,
 * `idle-ended` (the tagged response) and `idle-rejected` (NO/BAD instead of `+`). Durations are in
 * µs, in detail fields ending in `Us`. Pure: frames in, annotations out.
 */
export class IdleTracker implements FrameAnnotator {
  private state: IdlePhase = { kind: 'none' };
  /** A period whose DONE was sent while a new IDLE was already requested (pipelined): awaits its tagged response. */
  private closing: IdlePeriod | undefined;
  private lastEndUs: number | undefined;
  private readonly all: IdlePeriod[] = [];

  /** The current phase (read by the linter before this tracker sees the next frame). */
  get phase(): Readonly<IdlePhase> {
    return this.state;
  }

  /** The IDLE periods so far, open ones included: the last MAX_KEPT_IDLE_PERIODS. */
  get periods(): readonly Readonly<IdlePeriod>[] {
    return this.all;
  }

  /**
   * imapdbg dropped the command with this tag (SessionModel.forgetCommand): an IDLE it names never
   * reached the server, so no IDLE is in progress there and none is awaited.
   */
  forgetCommand(tag: string): void {
    const st = this.state;
    if (st.kind !== 'none' && st.period.tag === tag && st.period.acceptedUs === undefined) {
      this.state = { kind: 'none' };
      const i = this.all.indexOf(st.period);
      if (i >= 0) this.all.splice(i, 1);
    }
  }

  // Runs for every frame: no garbage when there is nothing to annotate.
  observe(frame: Frame): readonly Annotation[] {
    if (frame.direction === 'client') return this.observeClient(frame);
    return this.observeServer(frame);
  }

  private observeClient(frame: Frame): readonly Annotation[] {
    const st = this.state;
    if (frame.kind === 'command' && frame.verb === 'IDLE' && frame.tag !== undefined) {
      // While idling the server reads any line as a would-be DONE: no new period (the linter flags it).
      if (st.kind === 'idling' || st.kind === 'requested') return NO_ANNOTATIONS;
      if (st.kind === 'done-sent') this.closing = st.period;
      const period: IdlePeriod = { tag: boundedCopy(frame.tag, STORED_STRING_LIMITS.tag), startUs: frame.timeUs, updates: 0, outcome: 'open' };
      if (this.lastEndUs !== undefined) period.gapUs = Math.max(0, frame.timeUs - this.lastEndUs);
      this.all.push(period);
      if (this.all.length > MAX_KEPT_IDLE_PERIODS) this.all.splice(0, this.all.length - MAX_KEPT_IDLE_PERIODS);
      this.state = { kind: 'requested', period };
      return [phase('idle-requested', { tag: period.tag, ...(period.gapUs !== undefined ? { gapUs: period.gapUs } : {}) })];
    }
    if (frame.kind === 'idle-done' && (st.kind === 'idling' || st.kind === 'requested')) {
      st.period.doneUs = frame.timeUs;
      this.state = { kind: 'done-sent', period: st.period };
      return [phase('idle-done', { tag: st.period.tag, sinceUs: frame.timeUs - st.period.startUs, updates: st.period.updates })];
    }
    return NO_ANNOTATIONS;
  }

  private observeServer(frame: Frame): readonly Annotation[] {
    const st = this.state;
    switch (st.kind) {
      case 'none':
        return this.closingEnd(frame);
      case 'requested':
        if (frame.kind === 'continuation') {
          st.period.acceptedUs = frame.timeUs;
          this.state = { kind: 'idling', period: st.period };
          return [phase('idle-accepted', { tag: st.period.tag, waitUs: frame.timeUs - st.period.startUs })];
        }
        return this.duringIdle(st.period, frame);
      case 'idling':
      case 'done-sent':
        return this.duringIdle(st.period, frame);
      default: {
        const never: never = st;
        return never;
      }
    }
  }

  /** A server frame while an IDLE command is in progress: an update, its end, or neither. */
  private duringIdle(period: IdlePeriod, frame: Frame): readonly Annotation[] {
    if (frame.kind === 'untagged') {
      period.updates += 1;
      return [phase('idle-update', { tag: period.tag, n: period.updates, sinceUs: frame.timeUs - period.startUs, verb: frame.verb ?? '' })];
    }
    if (frame.kind === 'tagged' && frame.tag === period.tag) {
      const rejected = this.state.kind === 'requested' && frame.verb !== 'OK';
      this.state = { kind: 'none' };
      return [this.finish(period, frame, rejected)];
    }
    return this.closingEnd(frame);
  }

  private closingEnd(frame: Frame): readonly Annotation[] {
    const c = this.closing;
    if (!c || frame.kind !== 'tagged' || frame.tag !== c.tag) return NO_ANNOTATIONS;
    this.closing = undefined;
    return [this.finish(c, frame, false)];
  }

  private finish(period: IdlePeriod, frame: Frame, rejected: boolean): Annotation {
    period.endUs = frame.timeUs;
    period.status = frame.verb === 'NO' || frame.verb === 'BAD' ? frame.verb : 'OK';
    period.outcome = rejected ? 'rejected' : 'ended';
    this.lastEndUs = frame.timeUs;
    const durationUs = frame.timeUs - period.startUs;
    if (rejected) return phase('idle-rejected', { tag: period.tag, status: period.status, waitUs: durationUs });
    return phase('idle-ended', {
      tag: period.tag, status: period.status, durationUs, updates: period.updates, doneSent: period.doneUs !== undefined,
      ...(period.gapUs !== undefined ? { gapUs: period.gapUs } : {}),
    });
  }
}
