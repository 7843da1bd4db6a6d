import type { SessionEnd } from '../events';
import type { Finding, Frame } from '../frame';
import type { IdleThresholds } from '../idle-thresholds';
import { isIdlePhase, type IdleDetail } from '../idle-tracker';
import type { Intervention } from '../intervention';
import { formatLatency } from '../notation';
import { finding } from './rule-catalog';

/** An IDLE command from `idle-requested` to `idle-ended`, as far as timing needs it. */
interface OpenIdle {
  tag: string;
  startUs: number;
  accepted: boolean;
  doneUs?: number;
  silentReported: boolean;
  doneReported: boolean;
}

/** A finding and the time it became true (a threshold crossed, or the frame that showed it). */
export interface TimedFinding {
  timeUs: number;
  finding: Finding;
}

/**
 * The IDLE findings that depend on time passing with nothing on the wire: a silent IDLE (NAT risk),
 * DONE unanswered, a push gap after IDLE, IDLE churn, and a connection lost during IDLE. It reads
 * the IdleTracker's phase annotations on each frame. Silence has no frame, so each threshold is
 * checked at the session's next frame, at its end, and at `tick(nowUs)` (the live proxy's timer):
 * the finding carries the time the threshold was crossed, the same live and offline. Pure.
 */
export class IdleTimingRules {
  private lastFrameUs: number | undefined;
  private idle: OpenIdle | undefined;
  /** Since when the client neither idles nor sends commands after an IDLE ended (undefined: not deaf). */
  private deafSinceUs: number | undefined;
  private gapReported = false;
  /** Client-ended IDLEs without update shorter than the churn threshold, in a row. */
  private shortRun = 0;
  private churnReported = false;
  private byeSeen = false;
  /**
   * imapdbg ended or stalled the connection itself (close, reset, blackhole) or sent the client
   * bytes of its own (an injected BYE): how the IDLE ended is then not the peers' doing.
   */
  private endedByImapdbg = false;
  /** A blackhole: from here on nothing reaches either peer, so silence and an unanswered DONE are imapdbg's. */
  private blackholed = false;
  /** Server frames imapdbg did not deliver to the client, by sequence number (the latest few). */
  private readonly undelivered = new Set<number>();

  constructor(private readonly limits: Readonly<IdleThresholds>) {}

  /**
   * A change imapdbg made (rules, intercept, scripts): findings it would cause are not raised
   * against a peer. A client frame dropped or held in IDLE (DONE among them) may never have reached
   * the server: no done-unanswered; a DONE delayed counts from when it was delivered. A server frame
   * dropped (the IDLE's tagged response) never reached the client: no push-gap after it. A close,
   * reset, blackhole or injection toward the client: no idle-connection-lost.
   */
  intervened(c: Intervention): void {
    switch (c.action) {
      case 'blackhole':
        this.blackholed = true;
        this.endedByImapdbg = true;
        if (this.idle) this.idle.doneReported = this.idle.silentReported = true;
        return;
      case 'close':
      case 'reset':
        this.endedByImapdbg = true;
        return;
      case 'inject':
        if (c.toward === 'client') this.endedByImapdbg = true;
        return;
      case 'delay':
        // A DONE imapdbg held back reached the server that much later: the server's time to answer starts then.
        if (c.toward === 'server' && c.amount !== undefined && this.idle?.doneUs !== undefined) this.idle.doneUs += c.amount * 1000;
        return;
      case 'drop':
      case 'hold':
        if (c.toward === 'server' && this.idle) this.idle.doneReported = true;
        if (c.toward === 'client' && c.frameSeq !== undefined) {
          if (c.frameSeq === this.endedSeq) this.gapReported = true;
          if (this.undelivered.size >= 64) this.undelivered.delete(this.undelivered.values().next().value as number);
          this.undelivered.add(c.frameSeq);
        }
        return;
      default:
        return;
    }
  }

  /** Sequence number of the frame that ended the last IDLE (its tagged response). */
  private endedSeq: number | undefined;

  /** A frame of this session, with its annotations. */
  observe(frame: Frame): TimedFinding[] {
    const out = this.check(frame.timeUs);
    this.lastFrameUs = frame.timeUs;
    if (frame.direction === 'server' && frame.kind === 'untagged' && frame.verb === 'BYE') this.byeSeen = true;
    if (frame.direction === 'client' && frame.kind === 'command' && frame.verb !== 'IDLE' && this.deafSinceUs !== undefined) {
      // Any command is a chance for the server to report changes (RFC 3501 7): the client polls.
      this.deafSinceUs = frame.timeUs;
    }
    for (const a of frame.annotations) {
      if (!isIdlePhase(a)) continue;
      if (a.phase === 'idle-requested') {
        this.idle = { tag: a.detail.tag, startUs: frame.timeUs, accepted: false, silentReported: false, doneReported: false };
        this.deafSinceUs = undefined;
        this.gapReported = false;
      } else if (a.phase === 'idle-accepted' && this.idle) {
        this.idle.accepted = true;
      } else if (a.phase === 'idle-done' && this.idle) {
        this.idle.doneUs = frame.timeUs;
      } else if (a.phase === 'idle-ended' || a.phase === 'idle-rejected') {
        this.idle = undefined;
        this.deafSinceUs = frame.timeUs;
        this.endedSeq = frame.seq;
        // The client never got this response (imapdbg dropped it): not hearing of changes after it is not the client's doing.
        if (this.undelivered.has(frame.seq)) this.gapReported = true;
        if (a.phase === 'idle-ended') out.push(...this.churn(frame.timeUs, a.detail));
      }
    }
    return out;
  }

  /** The live timer: thresholds crossed by `nowUs` with no frame since. */
  tick(nowUs: number): TimedFinding[] {
    return this.check(nowUs);
  }

  /** The session closed: thresholds crossed before it, and an IDLE the connection dropped. */
  close(timeUs: number, end: SessionEnd): TimedFinding[] {
    const out = this.check(timeUs);
    const idle = this.idle;
    if (idle && !this.byeSeen && !this.endedByImapdbg && end.by !== 'proxy-shutdown') {
      out.push({ timeUs, finding: finding('idle-connection-lost',
        `the connection ended during IDLE ${idle.tag} (${idle.doneUs !== undefined ? 'DONE sent, ' : ''}${formatLatency(timeUs - idle.startUs)} in) without a BYE: ${lostBy(end)}`) });
    }
    this.idle = undefined;
    this.deafSinceUs = undefined;
    return out;
  }

  private check(nowUs: number): TimedFinding[] {
    const out: TimedFinding[] = [];
    const idle = this.idle;
    const lim = this.limits;
    if (this.blackholed) return out;
    if (idle && idle.accepted && idle.doneUs === undefined && !idle.silentReported && this.lastFrameUs !== undefined
      && nowUs - this.lastFrameUs > lim.silentUs) {
      idle.silentReported = true;
      out.push({ timeUs: this.lastFrameUs + lim.silentUs, finding: finding('idle-silent',
        `IDLE ${idle.tag}: no byte in either direction for more than ${formatLatency(lim.silentUs)} and no keepalive: a NAT or firewall may drop the connection without telling either side`) });
    }
    if (idle && idle.doneUs !== undefined && !idle.doneReported && nowUs - idle.doneUs > lim.doneTimeoutUs) {
      idle.doneReported = true;
      out.push({ timeUs: idle.doneUs + lim.doneTimeoutUs, finding: finding('done-unanswered',
        `DONE sent for IDLE ${idle.tag} and no tagged response within ${formatLatency(lim.doneTimeoutUs)}`) });
    }
    if (this.deafSinceUs !== undefined && !this.gapReported && nowUs - this.deafSinceUs > lim.pushGapUs) {
      this.gapReported = true;
      out.push({ timeUs: this.deafSinceUs + lim.pushGapUs, finding: finding('push-gap',
        `IDLE ended and the client neither idled again nor sent a command for more than ${formatLatency(lim.pushGapUs)}: changes in the mailbox go unnoticed meanwhile`) });
    }
    return out;
  }

  private churn(timeUs: number, d: IdleDetail<'idle-ended'>): TimedFinding[] {
    const short = d.doneSent && d.updates === 0 && d.durationUs < this.limits.churnUs;
    this.shortRun = short ? this.shortRun + 1 : 0;
    if (this.shortRun < this.limits.churnCount || this.churnReported) return [];
    this.churnReported = true;
    return [{ timeUs, finding: finding('idle-churn',
      `${this.shortRun} IDLEs in a row ended by the client after less than ${formatLatency(this.limits.churnUs)} with no update: re-issuing IDLE this often costs round trips for nothing (every 29 min is enough)`) }];
  }
}

function lostBy(end: SessionEnd): string {
  switch (end.by) {
    case 'client-closed': return 'the client closed the connection';
    case 'server-closed': return 'the server closed the connection';
    case 'proxy-shutdown': return 'the proxy shut down';
    case 'error': return `${end.side === 'proxy' ? 'the proxy' : `the ${end.side}'s side`} failed: ${end.message}`;
    default: {
      const never: never = end;
      return never;
    }
  }
}
