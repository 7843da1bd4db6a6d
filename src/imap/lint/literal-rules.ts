import type { Finding, Frame } from '../frame';
import { finding } from './rule-catalog';
import type { LintContext, LintRule } from './lint-rule';

/** RFC 7888 4: under LITERAL- a non-synchronizing literal may carry at most 4096 octets. */
export const LITERAL_MINUS_MAX = 4096;

/**
 * Literal rules: non-synchronizing literals (`{N+}`) only when the server offers LITERAL+ or, up to
 * 4096 bytes, LITERAL- (RFC 7888); and a literal cut short by the end of the connection.
 * (A synchronizing literal's body sent before the `+` is flagged by the framer itself.)
 */
export class LiteralRules implements LintRule {
  constructor(private readonly ctx: LintContext) {}

  observe(frame: Frame): Finding[] {
    const out: Finding[] = [];
    for (const part of frame.parts) {
      if (part.type !== 'literal') continue;
      const lit = part.literal;
      if (lit.received < lit.size) {
        out.push(finding('literal-truncated', `a literal of ${lit.size} bytes ended after ${lit.received}: the connection closed inside it`));
      }
      if (frame.direction !== 'client' || lit.form === 'sync') continue;
      const caps = this.ctx.capabilities;
      // Unknown capabilities: the client may have learnt them elsewhere; only judge against a known list.
      if (caps.state.kind !== 'known' || caps.has('LITERAL+')) continue;
      if (caps.has('LITERAL-')) {
        if (lit.size > LITERAL_MINUS_MAX) {
          out.push(finding('non-sync-literal-too-large', `non-synchronizing literal of ${lit.size} bytes; LITERAL- allows at most ${LITERAL_MINUS_MAX}`));
        }
      } else {
        out.push(finding('non-sync-literal-not-advertised', `non-synchronizing literal {${lit.size}+} though the server advertised neither LITERAL+ nor LITERAL-`));
      }
    }
    return out;
  }
}
