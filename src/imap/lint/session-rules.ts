import type { Finding, Frame } from '../frame';
import { finding } from './rule-catalog';
import type { LintRule } from './lint-rule';

/** Commands during which an EXPUNGE response is forbidden (RFC 3501 7.4.1); their UID forms allow it. */
const NO_EXPUNGE_DURING = new Set(['FETCH', 'STORE', 'SEARCH']);

/**
 * Rules about the session as a whole: no command after the server's BYE (RFC 3501 7.1.5), and
 * no EXPUNGE response while no command is in progress or during FETCH, STORE or SEARCH
 * (RFC 3501 7.4.1), which would shift message numbers under the client's feet.
 */
export class SessionRules implements LintRule {
  private byeSeq: number | undefined;
  /** Commands sent and not yet answered with a tagged response, by tag. */
  private readonly inProgress = new Map<string, string>();

  observe(frame: Frame): Finding[] {
    const out: Finding[] = [];
    if (frame.direction === 'client') {
      if (frame.kind !== 'command' || frame.tag === undefined) return out;
      if (this.byeSeq !== undefined) {
        out.push(finding('command-after-bye', `${frame.tag} ${frame.verb ?? ''} sent after the server's BYE (frame ${this.byeSeq})`));
      }
      this.inProgress.set(frame.tag, frame.verb ?? '');
      return out;
    }
    if ((frame.kind === 'untagged' || frame.kind === 'greeting') && frame.verb === 'BYE') this.byeSeq ??= frame.seq;
    if (frame.kind === 'tagged' && frame.tag !== undefined) this.inProgress.delete(frame.tag);
    if (frame.kind === 'untagged' && frame.verb === 'EXPUNGE') {
      const verbs = [...this.inProgress.values()];
      if (verbs.length === 0) out.push(finding('expunge-without-command', 'untagged EXPUNGE while no command is in progress'));
      else if (verbs.every((v) => NO_EXPUNGE_DURING.has(v))) {
        out.push(finding('expunge-during-fetch-store-search', `untagged EXPUNGE while only ${[...new Set(verbs)].join(', ')} ${verbs.length === 1 ? 'is' : 'are'} in progress`));
      }
    }
    return out;
  }
}
