import { AUTH_PHASES, type AuthPhaseAnnotation } from './auth-tracker';
import { CAPABILITY_PHASES, type CapabilityPhaseAnnotation } from './capability-tracker';
import { COMPRESS_PHASES, type CompressPhaseAnnotation } from './compress-tracker';
import { IDLE_PHASES, type IdlePhaseAnnotation } from './idle-tracker';
import { MAILBOX_PHASES, type MailboxPhaseAnnotation } from './mailbox-tracker';
import { checkedDetail, type DetailSpec, type DetailValue } from './phase-detail';
import { PUSH_PHASES, type PushPhaseAnnotation } from './push-latency';

/** A phase a tracker annotated: one union per tracker, each owned by its tracker's module. */
export type PhaseAnnotation =
  | IdlePhaseAnnotation
  | AuthPhaseAnnotation
  | MailboxPhaseAnnotation
  | CompressPhaseAnnotation
  | CapabilityPhaseAnnotation
  | PushPhaseAnnotation;

/**
 * A phase read from a capture that this version does not know, or whose detail does not have the
 * fields and types its tracker gives it (a later version's phase, a hand-edited file). Kept so that
 * the text views and a converted capture show it as recorded; no consumer takes it for a phase.
 */
export interface UnrecognisedPhaseAnnotation {
  kind: 'unrecognised-phase';
  phase: string;
  detail?: Record<string, DetailValue>;
}

/** Every tracker's table, for reading captures. */
const PHASE_SPECS: Readonly<Record<string, DetailSpec>> = {
  ...IDLE_PHASES, ...AUTH_PHASES, ...MAILBOX_PHASES, ...COMPRESS_PHASES, ...CAPABILITY_PHASES, ...PUSH_PHASES,
};

/**
 * The phase annotation a capture record stands for: typed when the name is known and the detail
 * fits its tracker's table, else unrecognised (kept for display). Undefined when `phase` is not a string.
 */
export function checkedPhase(phase: unknown, detail: unknown): PhaseAnnotation | UnrecognisedPhaseAnnotation | undefined {
  if (typeof phase !== 'string') return undefined;
  const spec = Object.hasOwn(PHASE_SPECS, phase) ? PHASE_SPECS[phase] : undefined;
  const checked = checkedDetail(spec ?? {}, detail);
  if (spec !== undefined && checked.fits) {
    // The one place a phase is trusted without a tracker making it: its detail was checked field by field against the tracker's table.
    return { kind: 'phase', phase, detail: checked.detail } as PhaseAnnotation;
  }
  return detail === undefined ? { kind: 'unrecognised-phase', phase } : { kind: 'unrecognised-phase', phase, detail: checked.detail };
}
