import type { Finding, Frame } from '../frame';
import { NO_FINDINGS } from '../no-results';
import { finding } from './rule-catalog';
import type { LintContext, LintRule } from './lint-rule';

/**
 * IMAP4rev2 and UTF-8 rules: no `* RECENT` once IMAP4rev2 is in force (RFC 9051 removed it), and
 * 8-bit (UTF-8) text in quoted strings only after `ENABLE UTF8=ACCEPT` (RFC 6855 3) or under
 * IMAP4rev2, whose quoted strings carry UTF-8 (RFC 9051 4.3). Literals may carry 8-bit text
 * anyway and are not judged here.
 */
export class Rev2Rules implements LintRule {
  constructor(private readonly ctx: LintContext) {}

  observe(frame: Frame): readonly Finding[] {
    // Runs for every frame: the array is made only when there is a finding.
    const caps = this.ctx.capabilities;
    let out: Finding[] | undefined;
    if (frame.kind === 'untagged' && frame.verb === 'RECENT' && caps.rev2) {
      out = [finding('recent-after-imap4rev2', 'an untagged RECENT though IMAP4rev2 is in force: IMAP4rev2 has no RECENT response')];
    }
    if (!carriesQuotedText(frame) || caps.enabled('UTF8=ACCEPT') || caps.rev2) return out ?? NO_FINDINGS;
    // RFC 6855 5: a server advertising UTF8=ACCEPT takes UTF-8 user names and passwords in LOGIN,
    // which comes before ENABLE is allowed.
    if (frame.verb === 'LOGIN' && caps.has('UTF8=ACCEPT')) return out ?? NO_FINDINGS;
    if (linesHaveEightBitQuoted(frame)) {
      const who = frame.direction === 'client' ? 'the client' : 'the server';
      (out ??= []).push(finding('utf8-quoted-not-enabled', `${who} sent 8-bit text in a quoted string though neither ENABLE UTF8=ACCEPT nor IMAP4rev2 is in force`));
    }
    return out ?? NO_FINDINGS;
  }
}

/** Whether a line of the frame has 8-bit text in a quoted string (a loop, not `some`: no closure per frame). */
function linesHaveEightBitQuoted(frame: Frame): boolean {
  for (let i = 0; i < frame.parts.length; i++) {
    const p = frame.parts[i];
    if (p.type === 'line' && quotedHasEightBit(p.line.text)) return true;
  }
  return false;
}

/** Frames whose lines are IMAP syntax with quoted strings (not SASL data, not IDLE's DONE, not unparsed bytes). */
function carriesQuotedText(frame: Frame): boolean {
  return frame.kind === 'command' || frame.kind === 'command-continuation' || frame.kind === 'untagged' || frame.kind === 'tagged';
}

/** Whether a quoted string on the line (latin1 text, one character per byte) holds a byte of 0x80 or more. */
export function quotedHasEightBit(text: string): boolean {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (!quoted) {
      if (c === 0x22) quoted = true;
      continue;
    }
    if (c === 0x5c) i += 1;
    else if (c === 0x22) quoted = false;
    else if (c >= 0x80) return true;
  }
  return false;
}
