import { boundedCopy } from '../imap/bounded-string';
import type { ChangeAction, ChangeSource, Intervention } from '../imap/intervention';

/** Longest `detail` and rule text kept from a capture (a hand-edited file may hold any length). */
export const MAX_INTERVENTION_TEXT = 1000;

const ACTIONS: ReadonlySet<string> = new Set<ChangeAction>(['hide-capability', 'delay', 'drop', 'inject', 'blackhole', 'reset', 'close',
  'slice', 'throttle', 'replace', 'hold', 'forward', 'edit', 'hook-error']);

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';

/**
 * The change source as read from a capture, strings bounded; undefined when it is not one. Both
 * capture formats store it in their own schema and build the in-memory one through here.
 */
export function checkedSource(kind: unknown, index: unknown, text: unknown, file: unknown, hook: unknown): ChangeSource | undefined {
  switch (kind) {
    case 'rule': return isCount(index) && isText(text) ? { kind: 'rule', index, text: boundedCopy(text, MAX_INTERVENTION_TEXT) } : undefined;
    case 'intercept': return { kind: 'intercept' };
    case 'script': return isText(file) && isText(hook)
      ? { kind: 'script', file: boundedCopy(file, MAX_INTERVENTION_TEXT), hook: boundedCopy(hook, MAX_INTERVENTION_TEXT) } : undefined;
    default: return undefined;
  }
}

/** The fields of an intervention as read from a capture, checked and bounded. */
export interface InterventionFields {
  action: unknown;
  source: ChangeSource | undefined;
  toward: unknown;
  frameSeq: unknown;
  amount: unknown;
  deliveredBytes: unknown;
  detail: unknown;
}

/**
 * An Intervention from fields read from a capture: `'unknown'` for an action a later version
 * added (the record is skipped, like an unknown record kind), undefined for a malformed one.
 */
export function checkedIntervention(f: InterventionFields): Intervention | 'unknown' | undefined {
  if (!isText(f.action) || !f.source || (f.toward !== 'client' && f.toward !== 'server') || !isText(f.detail)) return undefined;
  if ((f.frameSeq !== undefined && !isCount(f.frameSeq)) || (f.amount !== undefined && !isCount(f.amount))
    || (f.deliveredBytes !== undefined && !isCount(f.deliveredBytes))) return undefined;
  if (!ACTIONS.has(f.action)) return 'unknown';
  return {
    action: f.action as ChangeAction, source: f.source, toward: f.toward, detail: boundedCopy(f.detail, MAX_INTERVENTION_TEXT),
    ...(f.frameSeq !== undefined ? { frameSeq: f.frameSeq as number } : {}),
    ...(f.amount !== undefined ? { amount: f.amount as number } : {}),
    ...(f.deliveredBytes !== undefined ? { deliveredBytes: f.deliveredBytes as number } : {}),
  };
}
