import type { Finding, Frame } from '../frame';
import { commandArguments } from '../frame-facts';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintContext, LintRule } from './lint-rule';

/**
 * Authentication rules judged against the advertised capabilities: no LOGIN under LOGINDISABLED
 * (RFC 3501 6.2.3), no SASL initial response without SASL-IR (RFC 4959 3).
 */
export class AuthRules implements LintRule {
  constructor(private readonly ctx: LintContext) {}

  // Runs for every frame: no garbage when nothing is found.
  observe(frame: Frame): readonly Finding[] {
    if (frame.direction !== 'client' || frame.kind !== 'command') return NO_FINDINGS;
    const caps = this.ctx.capabilities;
    if (frame.verb === 'LOGIN' && caps.has('LOGINDISABLED')) {
      return [finding('login-disabled', 'LOGIN sent though the server advertised LOGINDISABLED')];
    }
    if (frame.verb === 'AUTHENTICATE' && caps.state.kind === 'known' && !caps.has('SASL-IR') && commandArguments(frame).length > 1) {
      return [finding('sasl-ir-not-advertised', 'AUTHENTICATE with an initial response though the server did not advertise SASL-IR')];
    }
    return NO_FINDINGS;
  }
}
