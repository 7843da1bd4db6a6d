import type { Rule } from './rule';
import { parseRule } from './rule-parser';

/** The rules of a `--rules FILE`, or every line that does not parse, as `FILE:LINE:COL: message`. */
export type RuleFileResult = { ok: true; rules: Rule[] } | { ok: false; errors: string[] };

/**
 * Parse the content of a `--rules FILE`: one rule per line; blank lines and lines whose first
 * non-blank character is `#` are skipped. A `#` later in a line is part of the rule (`~s #3` and
 * quoted text use it), so there are no trailing comments. CRLF line ends and a UTF-8 BOM are
 * accepted. Rules are numbered from `firstIndex` in file order (after any `--rule` given before).
 * Pure: the CLI reads the file. Never throws.
 */
export function parseRuleFile(content: string, fileName: string, firstIndex = 1): RuleFileResult {
  const rules: Rule[] = [];
  const errors: string[] = [];
  const lines = content.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const parsed = parseRule(line, firstIndex + rules.length + errors.length);
    if (parsed.ok) rules.push(parsed.rule);
    else errors.push(`${fileName}:${i + 1}:${parsed.error.column}: ${parsed.error.message}`);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules };
}
