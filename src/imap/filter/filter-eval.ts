import type { Frame } from '../frame';
import { isIdlePhase } from '../idle-tracker';
import { parseFilter, type FilterNode, type SizeComparison } from './filter-parser';
import type { FilterSyntaxError } from './filter-tokens';

/** What a filter looks at for one frame. */
export interface FilterSubject {
  frame: Frame;
  /** The frame lies in an IDLE period (from `tag IDLE` to its tagged response). */
  inIdle: boolean;
  /** The frame as one line of text, secrets masked as displayed; computed only when a text term needs it. */
  text(): string;
}

/** A compiled filter. */
export type FramePredicate = (subject: FilterSubject) => boolean;

/** A compiled filter with its source, or the syntax error to show in the status bar. */
export type CompiledFilter =
  | { ok: true; source: string; matches: FramePredicate; matchesAll: boolean }
  | { ok: false; source: string; error: FilterSyntaxError };

/** Parse and compile an expression; never throws. */
export function compileFilter(source: string): CompiledFilter {
  const parsed = parseFilter(source);
  if (!parsed.ok) return { ok: false, source, error: parsed.error };
  return { ok: true, source, matches: predicateOf(parsed.node), matchesAll: parsed.node.type === 'all' };
}

/** Turn a parsed expression into a predicate. */
export function predicateOf(node: FilterNode): FramePredicate {
  switch (node.type) {
    case 'all': return () => true;
    case 'and': {
      const l = predicateOf(node.left);
      const r = predicateOf(node.right);
      return (s) => l(s) && r(s);
    }
    case 'or': {
      const l = predicateOf(node.left);
      const r = predicateOf(node.right);
      return (s) => l(s) || r(s);
    }
    case 'not': {
      const p = predicateOf(node.operand);
      return (s) => !p(s);
    }
    // The client's DONE ending IDLE has no verb of its own (it is not a command): `~c DONE` names it.
    case 'command': return ({ frame }) => frame.verb === node.verb
      || (node.verb === 'DONE' && frame.kind === 'idle-done')
      || frame.annotations.some((a) => a.kind === 'pair' && a.command === node.verb);
    case 'tag': return ({ frame }) => frame.tag === node.tag;
    case 'dir': return ({ frame }) => frame.direction === node.direction;
    case 'idle': return (s) => s.inIdle || s.frame.annotations.some(isIdlePhase);
    case 'lint': return ({ frame }) => frame.annotations.some((a) => a.kind === 'finding');
    case 'status': return ({ frame }) => (frame.kind === 'tagged' || frame.kind === 'untagged' || frame.kind === 'greeting')
      && frame.verb === node.status;
    case 'lit': return ({ frame }) => frame.parts.some((p) => p.type === 'literal' && compareSize(p.literal.size, node.comparison, node.bytes));
    case 'session': return ({ frame }) => frame.session === node.id;
    case 'text': {
      const needle = node.value.toLowerCase();
      return (s) => s.text().toLowerCase().includes(needle);
    }
    case 'regex': {
      const re = node.regex;
      return (s) => {
        re.lastIndex = 0; // a /g or /y flag must not carry state from one frame to the next
        return re.test(s.text());
      };
    }
    default: {
      const never: never = node;
      return never;
    }
  }
}

function compareSize(size: number, cmp: SizeComparison, bytes: number): boolean {
  switch (cmp) {
    case '>': return size > bytes;
    case '>=': return size >= bytes;
    case '<': return size < bytes;
    case '<=': return size <= bytes;
    case '=': return size === bytes;
    default: {
      const never: never = cmp;
      return never;
    }
  }
}
