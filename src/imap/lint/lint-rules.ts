import { AuthRules } from './auth-rules';
import { ContinuationRules } from './continuation-rules';
import { IdleRules } from './idle-rules';
import { LineRules } from './line-rules';
import { LiteralRules } from './literal-rules';
import type { LintContext, LintRule } from './lint-rule';
import { Rev2Rules } from './rev2-rules';
import { SaslRules } from './sasl-rules';
import { SessionRules } from './session-rules';

/** A fresh set of every rule family for one session. */
export function lintRules(ctx: LintContext): LintRule[] {
  return [new IdleRules(ctx), new LiteralRules(ctx), new LineRules(), new SessionRules(), new AuthRules(ctx), new ContinuationRules(ctx),
    new Rev2Rules(ctx), new SaslRules()];
}
