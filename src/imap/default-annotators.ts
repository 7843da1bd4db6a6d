import { AuthTracker } from './auth-tracker';
import { CapabilityTracker } from './capability-tracker';
import { CompressTracker } from './compress-tracker';
import type { Annotation, Finding, Frame } from './frame';
import { IdleTracker } from './idle-tracker';
import { lintRules } from './lint/lint-rules';
import { StartTlsLint } from './lint/starttls-lint';
import type { LintRule } from './lint/lint-rule';
import { MailboxTracker } from './mailbox-tracker';
import { NO_ANNOTATIONS } from './no-results';
import type { FrameAnnotator } from './session-model';

/**
 * The trackers and the linter of one session, run as one annotator so that their order is fixed:
 * the lint rules judge each frame against the state before it (what the peer knew when it sent
 * the frame), then the trackers move on and annotate the frame's phase. Phases come first in the
 * frame's annotations, findings after them.
 */
export class SessionAnnotators implements FrameAnnotator {
  readonly capabilities = new CapabilityTracker();
  readonly idle = new IdleTracker();
  readonly auth = new AuthTracker();
  readonly mailbox = new MailboxTracker(() => this.capabilities.enabled('UTF8=ACCEPT') || this.capabilities.rev2);
  readonly compress = new CompressTracker();
  private readonly trackers: FrameAnnotator[] = [this.capabilities, this.idle, this.auth, this.mailbox, this.compress];
  private readonly rules: LintRule[] = lintRules({ capabilities: this.capabilities, idle: this.idle });

  observe(frame: Frame): readonly Annotation[] {
    // Indexed loops, not flatMap, spreads or for-of (whose iterators over the shared frozen empty
    // results are not optimized away): this runs for every frame, and arrays are made only when needed.
    let findings: Finding[] | undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const found = this.rules[i].observe(frame);
      for (let j = 0; j < found.length; j++) (findings ??= []).push(found[j]);
    }
    let out: Annotation[] | undefined;
    for (let i = 0; i < this.trackers.length; i++) {
      const found = this.trackers[i].observe(frame);
      for (let j = 0; j < found.length; j++) (out ??= []).push(found[j]);
    }
    if (findings) for (let i = 0; i < findings.length; i++) (out ??= []).push({ kind: 'finding', finding: findings[i] });
    return out ?? NO_ANNOTATIONS;
  }

  tlsStarted(): void {
    this.capabilities.tlsStarted();
  }

  forgetCommand(tag: string): void {
    this.idle.forgetCommand(tag);
    for (const r of this.rules) r.forgetCommand?.(tag);
  }

  end(timeUs: number): Finding[] {
    return [...this.trackers, ...this.rules].flatMap((t) => t.end?.(timeUs) ?? []);
  }
}

/**
 * The annotators every session gets, live and offline alike (IDLE phases, capabilities, lint).
 * One factory so that the proxy, `lint`, `stats` and the capture reframer agree.
 */
export function defaultAnnotators(): FrameAnnotator[] {
  return [new SessionAnnotators(), new StartTlsLint()];
}
