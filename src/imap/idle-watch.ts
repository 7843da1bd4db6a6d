import type { EventSink, ProxyEvent } from './events';
import type { Annotation } from './frame';
import { DEFAULT_IDLE_THRESHOLDS, type IdleThresholds } from './idle-thresholds';
import { IdleTimingRules, type TimedFinding } from './lint/idle-timing-rules';
import { PushLatencyCorrelator } from './push-latency';

/** The finding codes this stage raises, as `finding` events between frames (not at a session's end only). */
export const IDLE_WATCH_CODES: ReadonlySet<string> = new Set(['idle-silent', 'idle-connection-lost', 'done-unanswered', 'push-gap', 'idle-churn', 'push-unheard']);

/** Sessions watched at once; beyond it the oldest is forgotten (a flood of connections must not grow it). */
export const MAX_WATCHED_SESSIONS = 10_000;

/**
 * A stage of the event stream, in front of the sinks: runs the IDLE timing rules of each session and
 * the cross-session push-latency correlator over the annotated frames, adds `push-heard` annotations
 * to update frames and emits their findings as `finding` events, then passes every event on.
 * Offline it sits behind the Reframer; live, the proxy sends its events through it and calls
 * `tick(now)` every second so that a silent IDLE is flagged while it is silent. No I/O.
 */
export class IdleWatch implements EventSink {
  private readonly sessions = new Map<number, IdleTimingRules>();
  private readonly push: PushLatencyCorrelator;

  constructor(
    private readonly out: EventSink,
    private readonly limits: Readonly<IdleThresholds> = DEFAULT_IDLE_THRESHOLDS,
  ) {
    this.push = new PushLatencyCorrelator(limits.pushTimeoutUs);
  }

  handle(event: ProxyEvent): void {
    // What an earlier watch recorded (a capture made by the proxy) is derived again here with this
    // watch's thresholds, not kept twice: its findings are dropped and its annotations replaced.
    if (event.type === 'finding' && IDLE_WATCH_CODES.has(event.finding.code)) return;
    if (event.type === 'frame' && event.frame.annotations.some(isPushHeard)) {
      event = { ...event, frame: { ...event.frame, annotations: event.frame.annotations.filter((a) => !isPushHeard(a)) } };
    }
    const pushed = this.push.observe(event);
    // Indexed loops: mostly over the correlator's shared frozen empty arrays, whose for-of iterator
    // V8 does not optimize away, for every event.
    for (let i = 0; i < pushed.findings.length; i++) this.finding(pushed.findings[i].session, pushed.findings[i]);
    switch (event.type) {
      case 'session-open':
        this.sessions.set(event.session.id, new IdleTimingRules(this.limits));
        if (this.sessions.size > MAX_WATCHED_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as number);
        break;
      case 'frame': {
        const rules = this.sessions.get(event.frame.session);
        if (rules) {
          const found = rules.observe(event.frame);
          for (let i = 0; i < found.length; i++) this.finding(event.frame.session, found[i]);
        }
        for (let i = 0; i < pushed.annotations.length; i++) event.frame.annotations.push(pushed.annotations[i]);
        break;
      }
      case 'intervention':
        this.sessions.get(event.session)?.intervened(event.intervention);
        break;
      case 'session-close': {
        const rules = this.sessions.get(event.session);
        this.sessions.delete(event.session);
        for (const f of rules?.close(event.timeUs, event.end) ?? []) this.finding(event.session, f);
        break;
      }
      default:
        break;
    }
    this.out.handle(event);
  }

  /** How much state is held (for the bounds tests). */
  get held(): { timedSessions: number; push: PushLatencyCorrelator['held'] } {
    return { timedSessions: this.sessions.size, push: this.push.held };
  }

  /** The live timer: thresholds crossed by `nowUs` in sessions with no frame since. */
  tick(nowUs: number): void {
    for (const f of this.push.expire(nowUs)) this.finding(f.session, f);
    for (const [id, rules] of this.sessions) for (const f of rules.tick(nowUs)) this.finding(id, f);
  }

  close(): Promise<void> {
    return this.out.close?.() ?? Promise.resolve();
  }

  private finding(session: number, f: TimedFinding): void {
    this.out.handle({ type: 'finding', session, timeUs: f.timeUs, finding: f.finding });
  }
}

function isPushHeard(a: Annotation): boolean {
  return a.kind === 'phase' && a.phase === 'push-heard';
}
