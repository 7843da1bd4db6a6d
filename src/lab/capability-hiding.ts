import type { Frame } from '../imap/frame';

/** A server frame with capability names removed. */
export interface CapabilityRewrite {
  bytes: Buffer;
  /** The names removed, as the server spelled them, in the order they appeared. */
  hidden: string[];
}

// Where a capability list sits in a server line (RFC 3501 7.1, 7.2.1; RFC 5161 for ENABLED):
// `* CAPABILITY a b`, `* ENABLED a b`, and the `[CAPABILITY a b]` code of a status response
// (the greeting, an untagged OK/NO/BAD/PREAUTH/BYE, a tagged OK/NO/BAD). Group 1 is everything
// before the list, group 2 the list with its leading spaces.
const LIST_RESPONSE = /^(\* (?:CAPABILITY|ENABLED))((?: +[^ ]+)*) *$/i;
const CAPABILITY_CODE = /^([^ ]+ (?:OK|NO|BAD|PREAUTH|BYE) \[CAPABILITY)((?: +[^ \]]+)*) *\]/i;

/** Whether a frame is a server response that carries a capability list (what hide-capability rewrites). */
export function carriesCapabilities(frame: Frame): boolean {
  if (frame.direction !== 'server') return false;
  const first = frame.parts[0];
  if (first?.type !== 'line') return false;
  if (frame.kind === 'untagged' && (frame.verb === 'CAPABILITY' || frame.verb === 'ENABLED')) return true;
  if (frame.kind !== 'greeting' && frame.kind !== 'untagged' && frame.kind !== 'tagged') return false;
  return CAPABILITY_CODE.test(first.line.text);
}

/**
 * Remove capability names (compared case-insensitively) from the capability list of a server
 * frame's bytes; each removed name goes with the spaces before it. Every byte outside the list, and
 * the frame's other lines and literals, stay as they were. Undefined when nothing changes (not a
 * capability-bearing frame, or none of the names in it). `names` must be upper case.
 */
export function hideCapabilities(frame: Frame, bytes: Buffer, names: ReadonlySet<string>): CapabilityRewrite | undefined {
  if (!carriesCapabilities(frame)) return undefined;
  // The first line is found in the bytes, not from the frame's parts: another rule (replace) may
  // already have changed them.
  const lf = bytes.indexOf(10);
  const lineEnd = lf === -1 ? bytes.length : lf > 0 && bytes[lf - 1] === 13 ? lf - 1 : lf;
  const text = bytes.subarray(0, lineEnd).toString('latin1');
  const m = LIST_RESPONSE.exec(text) ?? CAPABILITY_CODE.exec(text);
  if (!m) return undefined;
  const hidden: string[] = [];
  const list = m[2].replace(/ +([^ ]+)/g, (whole, name: string) => {
    if (!names.has(name.toUpperCase())) return whole;
    hidden.push(name);
    return '';
  });
  if (hidden.length === 0) return undefined;
  const head = Buffer.from(m[1] + list, 'latin1');
  const tail = bytes.subarray(m[1].length + m[2].length);
  return { bytes: Buffer.concat([head, tail]), hidden };
}
