import type { TranscriptStep } from '../imap/transcript';

/**
 * Byte-exact dialogs with the real Dovecot 2.3 (Debian dovecot-imapd) that test/harness/dovecot.ts
 * starts, recorded over a plain socket (each string is one read or write, as it came). The client
 * side is hand-written raw IMAP; the server side is what Dovecot answered.
 */
function dialog(rows: ReadonlyArray<readonly ['C' | 'S', string]>): TranscriptStep[] {
  return rows.map(([who, text]) => ({ direction: who === 'C' ? 'client' : 'server', bytes: Buffer.from(text, 'latin1') }));
}

export const DOVECOT_GREETING = '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n';

const POST_LOGIN_CAPS = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY COMPRESS=DEFLATE';

/** CAPABILITY before login, LOGIN, ENABLE, SELECT, a FETCH with two literals, IDLE/DONE, LOGOUT. */
export const DOVECOT_SESSION: TranscriptStep[] = dialog([
  ['S', DOVECOT_GREETING],
  ['C', 'a1 CAPABILITY\r\n'],
  ['S', '* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN\r\na1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n'],
  ['C', 'a2 LOGIN alice secret\r\n'],
  ['S', `* CAPABILITY ${POST_LOGIN_CAPS}\r\na2 OK Logged in\r\n`],
  ['C', 'a3 ENABLE CONDSTORE UTF8=ACCEPT\r\n'],
  ['S', '* ENABLED CONDSTORE\r\na3 OK Enabled (0.001 + 0.000 secs).\r\n'],
  ['C', 'a4 SELECT INBOX\r\n'],
  ['S', '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n* 1 EXISTS\r\n* 1 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n* OK [UIDVALIDITY 1796182568] UIDs valid\r\n* OK [UIDNEXT 2] Predicted next UID\r\n* OK [HIGHESTMODSEQ 2] Highest\r\na4 OK [READ-WRITE] Select completed (0.004 + 0.000 + 0.003 secs).\r\n'],
  ['C', 'a5 FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[])\r\n'],
  ['S', '* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {24}\r\nSubject: hello rules\r\n\r\n BODY[] {125}\r\nFrom: Alice <alice@localhost>\r\nTo: Bob <bob@localhost>\r\nSubject: hello rules\r\nMessage-ID: <1@imapdbg.test>\r\n\r\nBody line one\r\n)\r\na5 OK Fetch completed (0.002 + 0.000 + 0.001 secs).\r\n'],
  ['C', 'a6 IDLE\r\n'],
  ['S', '+ idling\r\n'],
  ['C', 'DONE\r\n'],
  ['S', 'a6 OK Idle completed (0.405 + 0.404 + 0.404 secs).\r\n'],
  ['C', 'a7 LOGOUT\r\n'],
  ['S', '* BYE Logging out\r\na7 OK Logout completed (0.001 + 0.000 secs).\r\n'],
]);

/** LOGIN answered with a `[CAPABILITY ...]` code, a BINARY fetch, new mail during IDLE. */
export const DOVECOT_IDLE_SESSION: TranscriptStep[] = dialog([
  ['S', DOVECOT_GREETING],
  ['C', 'a1 LOGIN alice secret\r\n'],
  ['S', `a1 OK [CAPABILITY ${POST_LOGIN_CAPS}] Logged in\r\n`],
  ['C', 'a2 SELECT INBOX\r\n'],
  ['S', '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n* 1 EXISTS\r\n* 1 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n* OK [UIDVALIDITY 1796182578] UIDs valid\r\n* OK [UIDNEXT 2] Predicted next UID\r\na2 OK [READ-WRITE] Select completed (0.004 + 0.000 + 0.003 secs).\r\n'],
  ['C', 'a3 FETCH 1 (BINARY.PEEK[1])\r\n'],
  ['S', '* 1 FETCH (BINARY[1] {15}\r\nBody line one\r\n)\r\na3 OK Fetch completed (0.002 + 0.000 + 0.001 secs).\r\n'],
  ['C', 'a4 IDLE\r\n'],
  ['S', '+ idling\r\n'],
  ['S', '* 2 EXISTS\r\n* 2 RECENT\r\n'],
  ['C', 'DONE\r\n'],
  ['S', 'a4 OK Idle completed (2.351 + 2.348 + 2.350 secs).\r\n'],
  ['C', 'a7 LOGOUT\r\n'],
  ['S', '* BYE Logging out\r\na7 OK Logout completed (0.001 + 0.000 secs).\r\n'],
]);
