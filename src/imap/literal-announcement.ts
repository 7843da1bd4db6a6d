import type { LiteralForm } from './frame';

/** A literal announced at the end of a line. */
export interface LiteralAnnouncement {
  size: number;
  form: LiteralForm;
  binary: boolean;
}

// literal = "{" number64 ["+"] "}" CRLF (RFC 3501 9, RFC 7888 for "+" and "-"); literal8 = "~{" ... (RFC 3516).
const ANNOUNCEMENT = /(~?)\{([0-9]{1,16})([+-]?)\}$/;

/** Parse `{N}`, `{N+}`, `{N-}` or `~{N}` at the end of a line (without its CRLF). */
export function parseLiteralAnnouncement(lineEnd: string): LiteralAnnouncement | undefined {
  const m = ANNOUNCEMENT.exec(lineEnd);
  if (!m) return undefined;
  const size = Number(m[2]);
  if (!Number.isSafeInteger(size)) return undefined;
  const form: LiteralForm = m[3] === '+' ? 'non-sync-plus' : m[3] === '-' ? 'non-sync-minus' : 'sync';
  return { size, form, binary: m[1] === '~' };
}
