import type { Finding, Frame } from '../frame';
import { finding } from './rule-catalog';
import type { LintRule } from './lint-rule';

/** RFC 3501 2.2: every line ends with CRLF. One finding per frame, however many of its lines end in a bare LF. */
export class LineRules implements LintRule {
  observe(frame: Frame): Finding[] {
    const bare = frame.parts.filter((p) => p.type === 'line' && p.line.ending === 'lf').length;
    if (bare === 0) return [];
    const who = frame.direction === 'client' ? 'client' : 'server';
    return [finding('bare-lf', `${bare === 1 ? 'a line' : `${bare} lines`} from the ${who} ended by a bare LF instead of CRLF`)];
  }
}
