import type { Finding, Frame } from '../frame';
import { commandArguments, firstLine } from '../frame-facts';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintRule } from './lint-rule';

/** A channel-binding SASL mechanism (SCRAM-SHA-256-PLUS, RFC 5802 6 and RFC 7677) in a capability list. */
const PLUS_MECHANISM = /(?:^|[ [])AUTH=([A-Z0-9_-]+-PLUS)(?=[ \]]|$)/i;

/**
 * Channel binding through imapdbg: a -PLUS mechanism binds the SASL proof to the TLS connection
 * (RFC 5802 6, RFC 5929, RFC 9266). With imapdbg intercepting TLS, the client's TLS connection ends
 * at imapdbg and the server's is another one, so the bindings differ and authentication fails by
 * design. Offered: info, once per session (the client may pick it); used: a warning.
 */
export class SaslRules implements LintRule {
  private offeredSeen = false;

  // Runs for every frame: no garbage when nothing is found.
  observe(frame: Frame): readonly Finding[] {
    if (frame.direction === 'server') {
      if (this.offeredSeen || (frame.kind !== 'greeting' && frame.kind !== 'untagged' && frame.kind !== 'tagged')) return NO_FINDINGS;
      const line = firstLine(frame);
      const m = PLUS_MECHANISM.exec(line);
      if (!m || !/CAPABILITY/i.test(line)) return NO_FINDINGS;
      this.offeredSeen = true;
      return [finding('sasl-channel-binding-offered',
        `the server offers ${m[1].toUpperCase()}: channel binding cannot succeed through imapdbg's TLS interception (a client that picks it fails to authenticate)`)];
    }
    if (frame.kind !== 'command' || frame.verb !== 'AUTHENTICATE') return NO_FINDINGS;
    const mechanism = (commandArguments(frame)[0] ?? '').toUpperCase();
    if (!mechanism.endsWith('-PLUS')) return NO_FINDINGS;
    return [finding('sasl-channel-binding-used',
      `AUTHENTICATE ${mechanism.slice(0, 64)} binds to the TLS connection: through imapdbg's TLS interception the client's and the server's bindings differ and it fails by design`)];
  }
}
