import type { Finding, Frame } from '../frame';
import type { CapabilityView } from '../capability-tracker';
import type { IdlePhase } from '../idle-tracker';

/**
 * One family of lint rules. Rules see each frame before the trackers do, so they judge it against
 * the state the peer knew when it sent it (e.g. the capabilities in force when the client sent IDLE).
 * Pure and never throwing, like every FrameAnnotator.
 */
export interface LintRule {
  /** Readonly: rules run for every frame and return a shared empty array (NO_FINDINGS) when they find nothing. */
  observe(frame: Frame): readonly Finding[];
  /** The session ended: findings about what was left open. */
  end?(timeUs: number): Finding[];
  /** imapdbg dropped the command with this tag: the server never saw it (SessionModel.forgetCommand). */
  forgetCommand?(tag: string): void;
}

/** What rules may read of the trackers' state. */
export interface LintContext {
  capabilities: CapabilityView;
  idle: { readonly phase: Readonly<IdlePhase> };
}
