/**
 * Every string from a peer is bounded before it is stored: a tag, verb, mailbox name or capability
 * kept in per-session state is cut to a limit and copied, so that it neither grows with hostile
 * input nor keeps alive the up-to-64 KiB line it was sliced from (V8 slices share their parent).
 */

/** Limits of the strings the trackers keep. */
export const STORED_STRING_LIMITS = {
  /** Tags (RFC 3501 tags are short; Thunderbird's are ~5 characters). */
  tag: 128,
  /** Command and response names (the longest registered IMAP command is under 20 characters). */
  verb: 64,
  /** Mailbox names, SASL mechanism names, capability names. */
  name: 1024,
} as const;

/** Marker appended to a string cut by `boundedCopy`. */
export const CUT_MARK = '...';

/** The first `max` characters of `text` (with `...` when cut), as a fresh string that shares no memory with `text`. */
export function boundedCopy(text: string, max: number): string {
  const kept = text.length > max ? `${text.slice(0, max)}${CUT_MARK}` : text;
  // Short strings are never slices in V8; longer ones are re-encoded to detach them from their parent.
  return kept.length < 13 ? kept : Buffer.from(kept, 'utf16le').toString('utf16le');
}
