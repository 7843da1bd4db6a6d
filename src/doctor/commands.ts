// The exact command texts doctor sends (without tags). The broken-push fixture is recorded with
// these same functions, so `imapdbg replay --serve` of it recognises doctor's commands.

/** An IMAP quoted string (RFC 3501 9: quoted); CR, LF and NUL cannot be sent this way. */
export function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Whether `text` can go in a quoted string at all. */
export function quotable(text: string): boolean {
  return !/[\r\n\0]/.test(text);
}

export const CAPABILITY = 'CAPABILITY';
export const IDLE = 'IDLE';
export const DONE = 'DONE';
export const LIST_ALL = 'LIST "" "*"';
/** The command doctor sends during IDLE to see how the server treats the client bug. */
export const NOOP_DURING_IDLE = 'NOOP';

export const login = (user: string, password: string): string => `LOGIN ${quoted(user)} ${quoted(password)}`;
export const select = (mailbox: string): string => `SELECT ${quoted(mailbox)}`;
export const append = (mailbox: string, size: number): string => `APPEND ${quoted(mailbox)} (\\Seen) {${size}}`;
export const uidStoreDeleted = (uids: number[]): string => `UID STORE ${uids.join(',')} +FLAGS.SILENT (\\Deleted)`;
export const uidExpunge = (uids: number[]): string => `UID EXPUNGE ${uids.join(',')}`;
export const searchMessageId = (messageId: string): string => `UID SEARCH HEADER Message-ID ${quoted(messageId)}`;
export const SEARCH_DELETED = 'UID SEARCH DELETED';
export const EXPUNGE = 'EXPUNGE';
