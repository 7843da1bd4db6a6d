import { boundedCopy, STORED_STRING_LIMITS } from '../bounded-string';
import { MAX_PENDING_COMMANDS } from '../command-pairing';
import type { Finding, Frame } from '../frame';
import { NO_FINDINGS } from '../no-results';
import { OldestFirstTable } from '../oldest-first-table';
import { finding } from './rule-catalog';
import type { LintRule } from './lint-rule';

/** Commands during which an EXPUNGE response is forbidden (RFC 3501 7.4.1); their UID forms allow it. */
const NO_EXPUNGE_DURING_ORDER = ['FETCH', 'STORE', 'SEARCH'];
const NO_EXPUNGE_DURING = new Set(NO_EXPUNGE_DURING_ORDER);

/**
 * Rules about the session as a whole: no command after the server's BYE (RFC 3501 7.1.5), and
 * no EXPUNGE response while no command is in progress or during FETCH, STORE or SEARCH
 * (RFC 3501 7.4.1), which would shift message numbers under the client's feet.
 */
export class SessionRules implements LintRule {
  private byeSeq: number | undefined;
  /** Commands sent and not yet answered with a tagged response (their verbs by tag); at most MAX_PENDING_COMMANDS, the oldest go first (as in pairing). */
  private readonly inProgress = new OldestFirstTable<string>();

  /** How many commands in progress are not FETCH, STORE or SEARCH, and how many are each: EXPUNGE checks without a walk over the table. */
  private expungeAllowing = 0;
  private readonly expungeForbidding = new Map<string, number>();

  // Runs for every frame: no garbage when nothing is found.
  observe(frame: Frame): readonly Finding[] {
    if (frame.direction === 'client') {
      if (frame.kind !== 'command' || frame.tag === undefined) return NO_FINDINGS;
      const afterBye = this.byeSeq === undefined ? undefined
        : finding('command-after-bye', `${frame.tag} ${frame.verb ?? ''} sent after the server's BYE (frame ${this.byeSeq})`);
      const tag = boundedCopy(frame.tag, STORED_STRING_LIMITS.tag);
      this.forget(tag);
      const oldest = this.inProgress.oldest;
      if (this.inProgress.size >= MAX_PENDING_COMMANDS && oldest !== undefined) this.forget(oldest);
      const verb = boundedCopy(frame.verb ?? '', STORED_STRING_LIMITS.verb);
      this.inProgress.set(tag, verb);
      this.count(verb, 1);
      return afterBye === undefined ? NO_FINDINGS : [afterBye];
    }
    if ((frame.kind === 'untagged' || frame.kind === 'greeting') && frame.verb === 'BYE') this.byeSeq ??= frame.seq;
    if (frame.kind === 'tagged' && frame.tag !== undefined) this.forget(boundedCopy(frame.tag, STORED_STRING_LIMITS.tag));
    if (frame.kind === 'untagged' && frame.verb === 'EXPUNGE') {
      if (this.inProgress.size === 0) return [finding('expunge-without-command', 'untagged EXPUNGE while no command is in progress')];
      if (this.expungeAllowing === 0) {
        const verbs = NO_EXPUNGE_DURING_ORDER.filter((v) => (this.expungeForbidding.get(v) ?? 0) > 0);
        const n = this.inProgress.size;
        return [finding('expunge-during-fetch-store-search', `untagged EXPUNGE while only ${verbs.join(', ')} ${n === 1 ? 'is' : 'are'} in progress`)];
      }
    }
    return NO_FINDINGS;
  }

  /** A command imapdbg dropped is not in progress at the server: EXPUNGE is judged without it. */
  forgetCommand(tag: string): void {
    this.forget(boundedCopy(tag, STORED_STRING_LIMITS.tag));
  }

  private forget(tag: string): void {
    const verb = this.inProgress.delete(tag);
    if (verb !== undefined) this.count(verb, -1);
  }

  private count(verb: string, delta: number): void {
    if (NO_EXPUNGE_DURING.has(verb)) this.expungeForbidding.set(verb, (this.expungeForbidding.get(verb) ?? 0) + delta);
    else this.expungeAllowing += delta;
  }
}
