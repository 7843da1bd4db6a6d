/** The longest error text a session end or a finding keeps (a peer can make OpenSSL's long). */
export const ERROR_LINE_MAX = 300;

/**
 * Text as one bounded line: OpenSSL's messages end in a newline and may span several lines, and a
 * `session closed` line or a finding must stay one line. Control characters become spaces.
 */
export function oneLine(text: string, max = ERROR_LINE_MAX): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** An error as one bounded line, `CODE: message` (`ECONNRESET: read ECONNRESET`) when it has a code. */
export function errorLine(err: unknown): string {
  if (!(err instanceof Error)) return oneLine(String(err));
  const code = (err as NodeJS.ErrnoException).code;
  return oneLine(code && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message);
}
