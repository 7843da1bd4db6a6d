import { boundedCopy, STORED_STRING_LIMITS } from '../bounded-string';
import type { Finding, Frame } from '../frame';
import { parseLiteralAnnouncement } from '../literal-announcement';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintContext, LintRule } from './lint-rule';

/**
 * RFC 3501 7.5: the server sends a continuation request `+` when it is ready for the rest of a
 * command: the body of a synchronizing literal, an AUTHENTICATE response (6.2.2), or, for IDLE,
 * to say it is idling (RFC 2177 3). A `+` while none of these waits is flagged.
 */
export class ContinuationRules implements LintRule {
  /** A client frame ended with a synchronizing literal announcement whose body has not been sent. */
  private literalTag: string | undefined;
  /** An AUTHENTICATE waiting for its tagged response. */
  private saslTag: string | undefined;

  constructor(private readonly ctx: LintContext) {}

  // Runs for every frame: no garbage when nothing is found.
  observe(frame: Frame): readonly Finding[] {
    if (frame.direction === 'client') {
      if (frame.kind === 'command' && frame.verb === 'AUTHENTICATE' && frame.tag !== undefined) this.saslTag = bounded(frame.tag);
      this.literalTag = (frame.kind === 'command' || frame.kind === 'command-continuation') && frame.tag !== undefined && awaitsContinuation(frame)
        ? bounded(frame.tag) : undefined;
      return NO_FINDINGS;
    }
    if (frame.kind === 'tagged' && frame.tag !== undefined) {
      const tag = bounded(frame.tag);
      if (tag === this.saslTag) this.saslTag = undefined;
      if (tag === this.literalTag) this.literalTag = undefined;
      return NO_FINDINGS;
    }
    if (frame.kind !== 'continuation') return NO_FINDINGS;
    if (this.literalTag !== undefined) {
      this.literalTag = undefined;
      return NO_FINDINGS;
    }
    if (this.saslTag !== undefined || this.idleAwaitsContinuation()) return NO_FINDINGS;
    return [finding('unexpected-continuation', 'continuation request "+" while no command waits for one (no synchronizing literal, AUTHENTICATE or IDLE in progress)')];
  }

  /** IDLE sent and not yet accepted by a `+` (DONE may already have been sent, too early). */
  private idleAwaitsContinuation(): boolean {
    const st = this.ctx.idle.phase;
    return st.kind === 'requested' || (st.kind === 'done-sent' && st.period.acceptedUs === undefined);
  }
}

/** True when the frame's last line announces a synchronizing literal (or is too long to tell: then assume it does). */
function awaitsContinuation(frame: Frame): boolean {
  const last = frame.parts[frame.parts.length - 1];
  if (last?.type !== 'line') return false;
  if (last.line.truncated) return true;
  // Every client command passes here: a line not ending in `}` announces no literal, no regex needed.
  const text = last.line.text;
  if (text.charCodeAt(text.length - 1) !== 0x7d) return false;
  return parseLiteralAnnouncement(text)?.form === 'sync';
}

function bounded(tag: string): string {
  return boundedCopy(tag, STORED_STRING_LIMITS.tag);
}
