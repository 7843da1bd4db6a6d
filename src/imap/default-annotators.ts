import { AuthTracker } from './auth-tracker';
import { CapabilityTracker } from './capability-tracker';
import { CompressTracker } from './compress-tracker';
import type { Annotation, Finding, Frame } from './frame';
import { IdleTracker } from './idle-tracker';
import { lintRules } from './lint/lint-rules';
import { StartTlsLint } from './lint/starttls-lint';
import type { LintRule } from './lint/lint-rule';
import { MailboxTracker } from './mailbox-tracker';
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

  observe(frame: Frame): Annotation[] {
    // Loops, not flatMap and spreads: this runs for every frame, and its garbage was a good part
    // of a NOOP round trip's cost in scavenges.
    let findings: Finding[] | undefined;
    for (const r of this.rules) {
      const found = r.observe(frame);
      if (found.length === 0) continue;
      findings ??= [];
      for (const f of found) findings.push(f);
    }
    const out: Annotation[] = [];
    for (const t of this.trackers) for (const a of t.observe(frame)) out.push(a);
    if (findings) for (const finding of findings) out.push({ kind: 'finding', finding });
    return out;
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
