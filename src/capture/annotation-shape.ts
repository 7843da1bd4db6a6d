import type { Annotation, FindingLevel } from '../imap/frame';
import { checkedPhase } from '../imap/phase-annotation';

const isLevel = (v: unknown): v is FindingLevel => v === 'error' || v === 'warning' || v === 'info';

function fields(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/**
 * An annotation of a JSON Lines capture (the in-memory shape, as version 1 wrote it), checked:
 * a phase against its tracker's table (unrecognised when it does not fit), the other kinds for the
 * fields their consumers read. Undefined for a kind this version does not know or a broken entry:
 * dropped, as Annotation consumers ignore unknown kinds.
 */
export function checkedAnnotation(value: unknown): Annotation | undefined {
  const a = fields(value);
  switch (a?.kind) {
    case 'phase':
    case 'unrecognised-phase':
      return checkedPhase(a.phase, a.detail);
    case 'pair': return typeof a.commandSeq === 'number' && typeof a.command === 'string' && typeof a.latencyUs === 'number'
      ? { kind: 'pair', commandSeq: a.commandSeq, command: a.command, latencyUs: a.latencyUs } : undefined;
    case 'finding': {
      const f = fields(a.finding);
      return f && isLevel(f.level) && typeof f.code === 'string' && typeof f.rfc === 'string' && typeof f.message === 'string'
        ? { kind: 'finding', finding: { level: f.level, code: f.code, rfc: f.rfc, message: f.message } } : undefined;
    }
    case 'note': return typeof a.text === 'string' ? { kind: 'note', text: a.text } : undefined;
    default: return undefined;
  }
}
