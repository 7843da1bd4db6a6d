import type { Finding, Frame } from '../frame';
import { formatLatency } from '../notation';
import { responseCode } from '../frame-facts';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintContext, LintRule } from './lint-rule';

/** RFC 2177 3: "clients using IDLE are advised to terminate the IDLE and re-issue it at least every 29 minutes". */
export const IDLE_LIMIT_US = 29 * 60 * 1_000_000;

/**
 * The IDLE rules of RFC 2177 3: IDLE only when advertised, no command while the server waits for
 * DONE, no DONE outside IDLE, re-issue within 29 minutes, the tagged response only after DONE;
 * and, for information, keepalive-looking untagged OKs during IDLE.
 */
export class IdleRules implements LintRule {
  /** Start time of the IDLE period already reported as too long (one finding per period). */
  private reportedLongStart: number | undefined;

  constructor(private readonly ctx: LintContext) {}

  observe(frame: Frame): readonly Finding[] {
    // Runs for every frame: the array is made only when there is a finding.
    let out: Finding[] | undefined;
    const st = this.ctx.idle.phase;
    if (st.kind === 'idling') {
      const elapsed = frame.timeUs - st.period.startUs;
      if (elapsed > IDLE_LIMIT_US && this.reportedLongStart !== st.period.startUs) {
        this.reportedLongStart = st.period.startUs;
        (out ??= []).push(tooLong(st.period.tag, elapsed));
      }
    }
    if (frame.direction === 'client') {
      if (frame.kind === 'command' && frame.verb === 'IDLE') {
        const unadvertised = this.advertised();
        if (unadvertised !== undefined) (out ??= []).push(unadvertised);
      }
      if (frame.kind === 'command' && st.kind === 'idling') {
        (out ??= []).push(finding('command-during-idle',
          `${frame.tag ?? ''} ${frame.verb ?? ''} sent while the server waits for DONE to end IDLE ${st.period.tag}; the server will not read it as a command`));
      }
      if (frame.kind === 'idle-done' && st.kind === 'requested') {
        (out ??= []).push(finding('done-before-continuation', `DONE sent before the server's "+" accepted IDLE ${st.period.tag}: a server that refuses IDLE reads DONE as a command`));
      }
      if (frame.kind === 'idle-done' && (st.kind === 'none' || st.kind === 'done-sent')) {
        (out ??= []).push(finding('done-outside-idle', st.kind === 'none' ? 'DONE sent while no IDLE is in progress' : `a second DONE for IDLE ${st.period.tag}`));
      }
      return out ?? NO_FINDINGS;
    }
    if (frame.kind === 'tagged' && (st.kind === 'idling' || (st.kind === 'requested' && frame.verb === 'OK')) && frame.tag === st.period.tag) {
      (out ??= []).push(finding('idle-ended-before-done', `the server ended IDLE ${st.period.tag} with ${frame.verb ?? '?'} before the client sent DONE`));
    }
    if (frame.kind === 'untagged' && frame.verb === 'OK' && st.kind === 'idling' && responseCode(frame) === undefined) {
      (out ??= []).push(finding('idle-keepalive', `untagged OK ${formatLatency(frame.timeUs - st.period.startUs)} into IDLE ${st.period.tag}: a keepalive, not a mailbox update`));
    }
    return out ?? NO_FINDINGS;
  }

  end(timeUs: number): Finding[] {
    const st = this.ctx.idle.phase;
    if (st.kind !== 'idling') return [];
    const elapsed = timeUs - st.period.startUs;
    if (elapsed <= IDLE_LIMIT_US || this.reportedLongStart === st.period.startUs) return [];
    return [tooLong(st.period.tag, elapsed)];
  }

  /** The finding for an IDLE the server did not advertise, if it did not. */
  private advertised(): Finding | undefined {
    const caps = this.ctx.capabilities;
    if (caps.has('IDLE')) return undefined;
    if (caps.state.kind === 'unknown') {
      const why = caps.state.reason === 'not-seen' ? 'no capability list was seen on this connection' : 'the capability list was discarded by STARTTLS and not asked for again';
      return finding('idle-not-advertised', `IDLE sent but ${why}`, 'warning');
    }
    return finding('idle-not-advertised', 'IDLE sent though the server\'s capability list does not include IDLE');
  }
}

function tooLong(tag: string, elapsedUs: number): Finding {
  return finding('idle-too-long', `IDLE ${tag} has been open for ${(elapsedUs / 60_000_000).toFixed(1)} min (more than 29): the server may log the client off`);
}
