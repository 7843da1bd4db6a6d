import type { Finding, Frame } from '../frame';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintRule } from './lint-rule';

/** RFC 3501 2.2: every line ends with CRLF. One finding per frame, however many of its lines end in a bare LF. */
export class LineRules implements LintRule {
  // Runs for every frame: a counting loop (no filtered array, no closure), no garbage when all is well.
  observe(frame: Frame): readonly Finding[] {
    let bare = 0;
    for (let i = 0; i < frame.parts.length; i++) {
      const p = frame.parts[i];
      if (p.type === 'line' && p.line.ending === 'lf') bare += 1;
    }
    if (bare === 0) return NO_FINDINGS;
    const who = frame.direction === 'client' ? 'client' : 'server';
    return [finding('bare-lf', `${bare === 1 ? 'a line' : `${bare} lines`} from the ${who} ended by a bare LF instead of CRLF`)];
  }
}
