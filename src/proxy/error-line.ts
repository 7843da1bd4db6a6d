/** The longest error text a session end or a finding keeps (a peer can make OpenSSL's long). */
export const ERROR_LINE_MAX = 300;

/**
 * Text as one bounded line: OpenSSL's messages end in a newline and may span several lines, and a
 * `session closed` line or a finding must stay one line. Control characters become spaces.
 */
export function oneLine(text: string, max = ERROR_LINE_MAX): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/**
 * OpenSSL's error queue line, `80AC...:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/.../ssl3_record.c:350:` and a newline: only the reason says something.
 */
const OPENSSL_LINE = /^[0-9A-F]+:error:[0-9A-F]+:[^:\n]*:[^:\n]*:([^:\n]+):[^\n]*$/m;

/**
 * An error as one bounded line, `CODE: message` (`ECONNRESET: read ECONNRESET`) when it has a
 * code, OpenSSL's queue line cut down to its reason (`ERR_SSL_WRONG_VERSION_NUMBER: wrong version number`).
 */
export function errorLine(err: unknown): string {
  if (!(err instanceof Error)) return oneLine(String(err));
  const code = (err as NodeJS.ErrnoException).code;
  const message = OPENSSL_LINE.exec(err.message)?.[1] ?? err.message;
  return oneLine(code && !message.startsWith(code) ? `${code}: ${message}` : message);
}
