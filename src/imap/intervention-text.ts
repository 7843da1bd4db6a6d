import { boundedCopy } from './bounded-string';
import type { Direction } from './frame';
import { changeSourceLabel, type ChangeSource, type Intervention } from './intervention';

/** Characters of a rule text or detail shown in one line (a capture may hold longer ones). */
export const MAX_CHANGE_TEXT = 200;

/** `P>C:` for bytes imapdbg itself sent to the client, `P>S:` to the server. */
export function injectedMark(toward: Direction): 'P>C:' | 'P>S:' {
  return toward === 'client' ? 'P>C:' : 'P>S:';
}

/** Who asked, in words: `rule 2: drop ~dir s EXISTS`, `intercept`, `script hooks.js:onFrame`. */
export function changeSourceText(source: ChangeSource): string {
  const label = boundedCopy(changeSourceLabel(source), MAX_CHANGE_TEXT);
  return source.kind === 'rule' ? `${label}: ${boundedCopy(source.text, MAX_CHANGE_TEXT)}` : label;
}

/** What happened, as a past participle the source follows: `dropped`, `delayed 500 ms`, `injected`. */
export function changeActionText(c: Intervention): string {
  const n = c.amount;
  switch (c.action) {
    case 'hide-capability': return 'capabilities hidden';
    case 'delay': return n !== undefined ? `delayed ${n} ms` : 'delayed';
    case 'drop': return 'dropped';
    case 'inject': return 'injected';
    case 'blackhole': return 'blackholed (nothing delivered either way, sockets kept open)';
    case 'reset': return 'reset';
    case 'close': return 'closed';
    case 'slice': return n !== undefined ? `sliced into ${n}-byte writes` : 'sliced';
    case 'throttle': return n !== undefined ? `throttled to ${n} bytes/s` : 'throttled';
    case 'replace': return 'replaced';
    case 'hold': return 'held';
    case 'forward': return 'forwarded after a hold';
    case 'edit': return 'edited';
    case 'hook-error': return 'hook failed (forwarded unchanged)';
    default: {
      const never: never = c.action;
      return String(never);
    }
  }
}

/** Short badge for a frame list: `✗drop r2`, `+inject r3`, `~delay intercept`. */
export function changeBadge(c: Intervention): string {
  const who = c.source.kind === 'rule' ? `r${c.source.index}` : c.source.kind === 'intercept' ? 'intercept' : 'script';
  const sign = c.action === 'drop' ? '✗' : c.action === 'inject' ? '+' : '~';
  return `${sign}${c.action} ${who}`;
}

/**
 * The change as one line after the time and session (not yet escaped: callers escape whole lines).
 * Injected bytes read like the peers' lines, marked as imapdbg's: `P>C: * BYE ...  [injected by rule 3: ...]`;
 * every other change: `xx dropped by rule 2: drop ~dir s EXISTS (frame 12, toward the client): * 3 EXISTS`.
 */
export function interventionText(c: Intervention): string {
  const detail = boundedCopy(c.detail, MAX_CHANGE_TEXT);
  if (c.action === 'inject') {
    const count = c.deliveredBytes !== undefined ? `, ${c.deliveredBytes} bytes` : '';
    return `${injectedMark(c.toward)} ${detail}  [injected by ${changeSourceText(c.source)}${count}]`;
  }
  const where = [c.frameSeq !== undefined ? `frame ${c.frameSeq}` : undefined, `toward the ${c.toward}`].filter((x) => x !== undefined).join(', ');
  const instead = c.deliveredBytes !== undefined && (c.action === 'replace' || c.action === 'edit' || c.action === 'hide-capability')
    ? `, ${c.deliveredBytes} bytes delivered instead` : '';
  return `xx ${changeActionText(c)} by ${changeSourceText(c.source)} (${where}${instead})${detail ? `: ${detail}` : ''}`;
}
