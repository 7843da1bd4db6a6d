import type { Finding, Frame } from '../frame';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintContext, LintRule } from './lint-rule';

/** RFC 7888 4: under LITERAL- a non-synchronizing literal may carry at most 4096 octets. */
export const LITERAL_MINUS_MAX = 4096;

// A literal announcement at the end of a line, any number of digits (the framer accepts at most 2^53-1).
const ANY_SIZE_ANNOUNCEMENT = /~?\{([0-9]+)[+-]?\}$/;
/** number64 (RFC 9051 4.3): a literal's size is at most 2^63-1. */
const NUMBER64_MAX = 2n ** 63n - 1n;

/**
 * The finding's message when a line ends with a literal announcement whose size no real literal
 * has: past 2^53-1 imapdbg cannot count the body (and does not frame it as a literal), past 2^63-1
 * it is not even a number64. Parsed as a BigInt: no float rounding of the size.
 */
export function invalidLiteralSize(lineText: string): string | undefined {
  // Every line of every frame passes here: one not ending in `}` announces no literal, no regex needed.
  if (lineText.charCodeAt(lineText.length - 1) !== 0x7d) return undefined;
  const m = ANY_SIZE_ANNOUNCEMENT.exec(lineText);
  if (!m) return undefined;
  const digits = m[1].replace(/^0+(?=[0-9])/, '');
  const size = BigInt(digits);
  if (size <= BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const shown = digits.length <= 40 ? digits : `a ${digits.length}-digit number`;
  return size > NUMBER64_MAX
    ? `literal size ${shown} exceeds number64 (2^63-1): no such literal; not framed as one`
    : `literal size ${shown} is over 2^53-1 bytes (8 PiB): not a real literal; not framed as one`;
}

/**
 * Literal rules: non-synchronizing literals (`{N+}`) only when the server offers LITERAL+ or, up to
 * 4096 bytes, LITERAL- (RFC 7888); and a literal cut short by the end of the connection.
 * (A synchronizing literal's body sent before the `+` is flagged by the framer itself.)
 */
export class LiteralRules implements LintRule {
  constructor(private readonly ctx: LintContext) {}

  observe(frame: Frame): readonly Finding[] {
    // Runs for every frame: an indexed loop, and the array is made only when there is a finding.
    let out: Finding[] | undefined;
    for (let i = 0; i < frame.parts.length; i++) {
      const part = frame.parts[i];
      if (part.type === 'line') {
        const invalid = invalidLiteralSize(part.line.text);
        if (invalid !== undefined) (out ??= []).push(finding('literal-size-invalid', invalid));
      }
      if (part.type !== 'literal') continue;
      const lit = part.literal;
      if (lit.received < lit.size) {
        (out ??= []).push(finding('literal-truncated', `a literal of ${lit.size} bytes ended after ${lit.received}: the connection closed inside it`));
      }
      if (frame.direction !== 'client' || lit.form === 'sync') continue;
      const caps = this.ctx.capabilities;
      // Unknown capabilities: the client may have learnt them elsewhere; only judge against a known list.
      if (caps.state.kind !== 'known' || caps.has('LITERAL+')) continue;
      // An IMAP4rev2 server supports LITERAL- whether it lists it or not (RFC 9051 4.3, RFC 7888 4).
      const rev2 = caps.has('IMAP4rev2') && !caps.has('LITERAL-');
      if (caps.has('LITERAL-') || rev2) {
        if (lit.size > LITERAL_MINUS_MAX) {
          const offer = rev2 ? 'IMAP4rev2 implies LITERAL-, which allows' : 'LITERAL- allows';
          (out ??= []).push(finding('non-sync-literal-too-large', `non-synchronizing literal of ${lit.size} bytes; ${offer} at most ${LITERAL_MINUS_MAX}`));
        }
      } else {
        (out ??= []).push(finding('non-sync-literal-not-advertised', `non-synchronizing literal {${lit.size}+} though the server advertised neither LITERAL+ nor LITERAL-`));
      }
    }
    return out ?? NO_FINDINGS;
  }
}
