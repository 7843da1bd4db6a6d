import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Rule } from '../lab/rule';
import { parseRuleFile } from '../lab/rule-file';
import { describeRuleError, parseRule, RULE_SYNTAX } from '../lab/rule-parser';
import { UsageError } from './usage-error';

export interface RuleCliOptions {
  rule: string[];
  rules?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--rule` (repeatable) and `--rules FILE`, with the rule syntax in the help. */
export function addRuleOptions(command: Command): Command {
  const width = Math.max(...RULE_SYNTAX.map(([s]) => s.length));
  return command
    .option('--rule <rule>', 'change the conversation on purpose: ACTION [ARGS] [FILTER] [TRIGGER] (repeatable; see below)', collect, [])
    .option('--rules <file>', 'rules from a file, one per line (blank lines and # comments skipped)')
    .addHelpText('after', `
Rules (--rule, --rules FILE): FILTER is the TUI's filter language (~c, ~tag, ~dir, ~idle, ~status, text, /re/).
${RULE_SYNTAX.map(([s, d]) => `  ${s.padEnd(width)}  ${d}`).join('\n')}
  e.g. --rule 'hide-capability IDLE'  --rule 'delay 500ms ~c DONE'  --rule "inject '* BYE going' after 2s in IDLE"`);
}

/**
 * Every rule, checked before the proxy listens: `--rule` in the order given, then the file's.
 * The first problem ends the run (exit 2) with its column, like the TUI's filter.
 */
export function rulesFrom(opts: RuleCliOptions): Rule[] {
  const rules: Rule[] = [];
  opts.rule.forEach((text, i) => {
    const parsed = parseRule(text, rules.length + 1);
    if (!parsed.ok) throw new UsageError(`--rule ${i + 1} "${text.length > 60 ? `${text.slice(0, 60)}...` : text}": ${describeRuleError(parsed.error)}`);
    rules.push(parsed.rule);
  });
  if (opts.rules !== undefined) {
    let content: string;
    try {
      content = readFileSync(opts.rules, 'utf8');
    } catch (err) {
      throw new UsageError(`--rules ${opts.rules}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = parseRuleFile(content, opts.rules, rules.length + 1);
    if (!parsed.ok) throw new UsageError(parsed.errors[0] + (parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : ''));
    rules.push(...parsed.rules);
  }
  return rules;
}
