import type { Direction } from '../../imap/frame';
import { printable } from '../../imap/frame-text';
import { maskClientBytes } from '../../imap/secret-mask';

/** How much of injected bytes a finding quotes. */
const PREVIEW_BYTES = 200;

/**
 * Injected bytes (sent around a STARTTLS where none may be) as one printable line for a finding.
 * A client's are framed as commands and their secrets masked (`b LOGIN carol ********`): the
 * finding goes to the capture, the headless view and lint, where a password must not be; and then
 * their count is left out, which would tell its length.
 */
export function preview(bytes: Buffer, from: Direction = 'server'): string {
  const shown = bytes.subarray(0, PREVIEW_BYTES);
  const masked = from === 'client' ? maskClientBytes(shown) : shown;
  const more = bytes.length > PREVIEW_BYTES ? '...' : '';
  const size = masked === shown ? `${bytes.length} bytes` : 'bytes (secrets masked)';
  return `${size}: "${printable(masked.toString('latin1'))}${more}"`;
}
