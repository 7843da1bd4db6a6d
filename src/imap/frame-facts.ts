import type { Annotation, Frame } from './frame';

/**
 * Small readings of a frame that several trackers share: its first line, the command a tagged
 * response was paired with, the response code in brackets. No state, no parsing beyond that.
 */

/** The text of the frame's first line (the tag, verb and arguments up to any literal). */
export function firstLine(frame: Frame): string {
  const first = frame.parts[0];
  return first?.type === 'line' ? first.line.text : '';
}

/** The pair annotation of a tagged response: which command it completes. */
export function pairOf(frame: Frame): Extract<Annotation, { kind: 'pair' }> | undefined {
  for (const a of frame.annotations) if (a.kind === 'pair') return a;
  return undefined;
}

/** The command a tagged server response completes (upper case), or undefined when unpaired. */
export function pairedCommand(frame: Frame): string | undefined {
  return frame.kind === 'tagged' ? pairOf(frame)?.command : undefined;
}

// Hoisted: a regex literal makes a new RegExp each time it is evaluated, and these run per frame.
const RESPONSE_CODE = /^\S+ (?:OK|NO|BAD|PREAUTH|BYE) \[([^\]]*)\]/i;
const MESSAGE_NUMBER = /^\* ([0-9]+) /;

/**
 * The response code of a status response: `UIDVALIDITY 3857529045` for `* OK [UIDVALIDITY 3857529045] UIDs valid`
 * (RFC 3501 7.1). Undefined when the text after the status word does not start with `[`.
 */
export function responseCode(frame: Frame): string | undefined {
  const m = RESPONSE_CODE.exec(firstLine(frame));
  return m ? m[1] : undefined;
}

/** The message number of `* N EXISTS`, `* N EXPUNGE`, `* N RECENT`, `* N FETCH`. */
export function messageNumber(frame: Frame): number | undefined {
  const m = MESSAGE_NUMBER.exec(firstLine(frame));
  return m ? Number(m[1]) : undefined;
}

/** The arguments of a command's first line, split at spaces (quoted strings kept whole, quotes removed). */
export function commandArguments(frame: Frame): string[] {
  const text = firstLine(frame);
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  // Skip the tag and the verb (two words; `UID FETCH` counts as one command but three words).
  const words = frame.verb?.startsWith('UID ') ? 3 : 2;
  let m: RegExpExecArray | null;
  let index = 0;
  while ((m = re.exec(text)) !== null) {
    index += 1;
    if (index <= words) continue;
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  }
  return out;
}
