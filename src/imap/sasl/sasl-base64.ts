/**
 * Decoding of the base64 that carries SASL data in IMAP (RFC 3501 6.2.2, RFC 4959). Strict: a
 * line that is not canonical base64 is not decoded (it is shown as the frame's text, masked), so a
 * decoder never guesses at garbage. Bounded: a SASL line longer than SASL_LINE_MAX is not decoded.
 */

/** Longest base64 line decoded (an OAuth2 bearer token is a few KB; Dovecot's own limit is 64 KiB). */
export const SASL_LINE_MAX = 16 * 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of a base64 SASL line, or why not: not base64, or too long to decode. `=` alone is empty (RFC 4959). */
export function decodeSaslBase64(text: string): Buffer | 'not-base64' | 'too-long' {
  const t = text.trim();
  if (t === '=') return Buffer.alloc(0);
  if (t.length > SASL_LINE_MAX) return 'too-long';
  if (!BASE64.test(t)) return 'not-base64';
  return Buffer.from(t, 'base64');
}

/** Longest decoded value kept in an annotation (a user name, host, scope, nonce). */
export const SASL_VALUE_MAX = 256;

/** A decoded peer value bounded for an annotation; the printers escape it for the terminal. */
export function saslValue(text: string): string {
  const kept = text.length > SASL_VALUE_MAX ? `${text.slice(0, SASL_VALUE_MAX)}...` : text;
  // A fresh copy, so the annotation does not keep the line it was sliced from alive.
  return Buffer.from(kept, 'utf16le').toString('utf16le');
}

/** Bytes as text: UTF-8 when valid (user names, JSON), else latin1 (one character per byte). */
export function saslText(bytes: Buffer): string {
  const utf8 = bytes.toString('utf8');
  return Buffer.from(utf8, 'utf8').equals(bytes) ? utf8 : bytes.toString('latin1');
}
