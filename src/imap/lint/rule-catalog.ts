import type { Finding, FindingLevel } from '../frame';

/** One lint rule as documented: its code, default level, the RFC section it enforces, and what it flags. */
export interface RuleInfo {
  code: string;
  level: FindingLevel;
  rfc: string;
  summary: string;
  /** Which part of imapdbg raises it (the framer and the pairing raise a few before the linter runs). */
  source: 'framer' | 'pairing' | 'lint' | 'compress' | 'tls' | 'proxy' | 'lab';
}

/**
 * Every finding code imapdbg can raise, in one table: `imapdbg lint --rules` prints it and the rule
 * files take their level and RFC section from it, so docs and findings cannot drift apart.
 */
export const RULES = {
  'idle-not-advertised': { level: 'error', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'IDLE sent though the server never advertised the IDLE capability (MUST NOT); a warning when no capability list was seen at all' },
  'command-during-idle': { level: 'error', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'a client command while the server waits for DONE (it cannot tell a command from a continuation)' },
  'done-outside-idle': { level: 'error', rfc: 'RFC 2177 3', source: 'lint', summary: 'DONE sent while no IDLE waits for it' },
  'idle-too-long': { level: 'warning', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'an IDLE open for more than 29 minutes: the server may log the client off' },
  'idle-ended-before-done': { level: 'error', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'the server sent the tagged response to IDLE before the client\'s DONE' },
  'idle-keepalive': { level: 'info', rfc: 'RFC 3501 7.1.1', source: 'lint',
    summary: 'an untagged OK without response code during IDLE: a keepalive such as Dovecot\'s "* OK Still here"' },
  'idle-silent': { level: 'warning', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'an IDLE with no byte in either direction for longer than --idle-silent (default 10 min) and no keepalive: NATs and firewalls drop idle TCP mappings (RFC 5382 5 asks for at least 2 h 4 min; many use minutes)' },
  'idle-connection-lost': { level: 'warning', rfc: 'RFC 3501 7.1.5', source: 'lint',
    summary: 'the connection ended during IDLE without the server\'s BYE (reset, or closed by one side; the finding says which)' },
  'done-unanswered': { level: 'warning', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'DONE sent and no tagged response to the IDLE within --done-timeout (default 30 s)' },
  'push-gap': { level: 'warning', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'IDLE ended and the client neither idled again nor sent any command (a poll) for longer than --push-gap (default 60 s): it hears of no change meanwhile' },
  'idle-churn': { level: 'info', rfc: 'RFC 2177 3', source: 'lint',
    summary: '5 IDLEs in a row ended by the client with no update after less than --idle-churn (default 30 s): re-issuing every 29 min is enough' },
  'push-unheard': { level: 'warning', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'a change (APPEND/COPY/MOVE/STORE/EXPUNGE OK) that no session of the same user idling on that mailbox heard about within --push-timeout (default 60 s) or before it stopped idling; info when the user idles only on other mailboxes' },
  'sync-literal-before-continuation': { level: 'error', rfc: 'RFC 3501 7.5', source: 'framer',
    summary: 'a synchronizing literal\'s body sent before the server\'s "+"' },
  'non-sync-literal-too-large': { level: 'error', rfc: 'RFC 7888 4', source: 'lint',
    summary: 'a non-synchronizing literal over 4096 bytes while the server offers only LITERAL-' },
  'non-sync-literal-not-advertised': { level: 'error', rfc: 'RFC 7888 3', source: 'lint',
    summary: 'a non-synchronizing literal while the server advertised neither LITERAL+ nor LITERAL-' },
  'literal-truncated': { level: 'warning', rfc: 'RFC 3501 4.3', source: 'lint',
    summary: 'the connection ended inside a literal: fewer bytes than announced' },
  'tag-reused': { level: 'warning', rfc: 'RFC 3501 2.2.1', source: 'pairing', summary: 'a tag reused while a command with that tag is still pending' },
  'unknown-tag': { level: 'error', rfc: 'RFC 3501 2.2.2', source: 'pairing',
    summary: 'a tagged response that no pending command carries (info only, once commands were forgotten: it may answer one of them)' },
  'pending-commands-forgotten': { level: 'warning', rfc: 'RFC 3501 5.5', source: 'pairing',
    summary: 'more than 10000 commands waited for a response at once: the oldest were dropped from pairing (counted; the total comes at the session\'s end)' },
  'literal-size-invalid': { level: 'error', rfc: 'RFC 9051 4.3', source: 'lint',
    summary: 'a literal announced with a size no real literal has (beyond number64, or more than 2^53-1 bytes): not framed as a literal' },
  'done-before-continuation': { level: 'warning', rfc: 'RFC 2177 3', source: 'lint',
    summary: 'DONE sent before the server\'s "+" accepted the IDLE (a server that then refuses IDLE reads DONE as a command)' },
  'unexpected-continuation': { level: 'warning', rfc: 'RFC 3501 7.5', source: 'lint',
    summary: 'a "+" continuation request while no command waits for one (no synchronizing literal, AUTHENTICATE or IDLE)' },
  'bad-greeting': { level: 'error', rfc: 'RFC 3501 7.1', source: 'framer', summary: 'the first server line is not * OK, * PREAUTH or * BYE' },
  'bare-lf': { level: 'error', rfc: 'RFC 3501 2.2', source: 'lint', summary: 'a line ended by LF alone instead of CRLF' },
  'command-after-bye': { level: 'warning', rfc: 'RFC 3501 7.1.5', source: 'lint',
    summary: 'a client command after the server\'s BYE (the server is closing the connection)' },
  'expunge-without-command': { level: 'error', rfc: 'RFC 3501 7.4.1', source: 'lint',
    summary: 'an untagged EXPUNGE while no command is in progress' },
  'expunge-during-fetch-store-search': { level: 'error', rfc: 'RFC 3501 7.4.1', source: 'lint',
    summary: 'an untagged EXPUNGE while only FETCH, STORE or SEARCH (not their UID forms) are in progress' },
  'login-disabled': { level: 'error', rfc: 'RFC 3501 6.2.3', source: 'lint', summary: 'LOGIN sent though the server advertised LOGINDISABLED' },
  'sasl-ir-not-advertised': { level: 'error', rfc: 'RFC 4959 3', source: 'lint',
    summary: 'AUTHENTICATE with an initial response though the server did not advertise SASL-IR' },
  'compress-inflate-failed': { level: 'error', rfc: 'RFC 4978 3', source: 'compress',
    summary: 'bytes after COMPRESS DEFLATE did not inflate; frames of that direction stop there (bytes are still forwarded)' },
  'compress-inflate-limit': { level: 'warning', rfc: 'RFC 4978 3', source: 'compress',
    summary: 'a direction\'s inflated copy outgrew its bound (16 MiB plus 100 bytes per wire byte): a likely DEFLATE bomb; frames of that direction stop there (bytes are still forwarded and recorded)' },
  'recent-after-imap4rev2': { level: 'warning', rfc: 'RFC 9051 E', source: 'lint',
    summary: 'an untagged RECENT after IMAP4rev2 is in force (enabled, or a rev2-only server): IMAP4rev2 removed RECENT' },
  'utf8-quoted-not-enabled': { level: 'warning', rfc: 'RFC 6855 3', source: 'lint',
    summary: '8-bit (UTF-8) text in a quoted string though neither ENABLE UTF8=ACCEPT nor IMAP4rev2 is in force' },
  'sasl-channel-binding-offered': { level: 'info', rfc: 'RFC 5802 6', source: 'lint',
    summary: 'the server offers a -PLUS (channel binding) SASL mechanism, which cannot succeed through imapdbg\'s TLS interception' },
  'sasl-channel-binding-used': { level: 'warning', rfc: 'RFC 5802 6', source: 'lint',
    summary: 'AUTHENTICATE with a -PLUS (channel binding) mechanism: through imapdbg\'s TLS interception the bindings differ and it fails by design' },
  'mailbox-name-bad-utf7': { level: 'info', rfc: 'RFC 3501 5.1.3', source: 'lint',
    summary: 'a mailbox name that is not valid modified UTF-7 (shown raw)' },
  // STARTTLS and TLS. Two need byte-level knowledge and are raised by the proxy's STARTTLS layer
  // (src/proxy/tls/), not by the frame rules of starttls-lint.ts.
  'starttls-command-injection': { level: 'error', rfc: 'RFC 3501 6.2.1', source: 'tls',
    summary: 'client bytes after "STARTTLS\\r\\n" in the same packet, before the TLS handshake (plaintext command injection, CVE-2011-0411); never forwarded into TLS' },
  'starttls-response-injection': { level: 'error', rfc: 'RFC 3501 6.2.1', source: 'tls',
    summary: 'server bytes after the tagged OK to STARTTLS, before the TLS handshake (response injection); not forwarded' },
  'starttls-pipelined': { level: 'error', rfc: 'RFC 3501 6.2.1', source: 'lint',
    summary: 'a client command after STARTTLS before its tagged response (MUST NOT issue further commands until the negotiation is complete)' },
  'starttls-not-advertised': { level: 'warning', rfc: 'RFC 3501 6.2.1, RFC 2595 3.1', source: 'lint',
    summary: 'STARTTLS sent though the capability list in force does not contain STARTTLS' },
  'starttls-while-authenticated': { level: 'error', rfc: 'RFC 3501 6.2.1', source: 'lint',
    summary: 'STARTTLS sent in the authenticated state (after PREAUTH or a successful login): it is valid only before authentication' },
  'starttls-twice': { level: 'error', rfc: 'RFC 2595 3.1', source: 'lint',
    summary: 'STARTTLS sent again after a successful STARTTLS (a TLS session is already active)' },
  'cleartext-login': { level: 'warning', rfc: 'RFC 3501 6.2.3, RFC 8314', source: 'lint',
    summary: 'LOGIN or AUTHENTICATE in clear text though the server advertised STARTTLS' },
  'preauth-instead-of-starttls': { level: 'error', rfc: 'RFC 3501 6.2.1, RFC 3501 7.1.4', source: 'tls',
    summary: 'a PREAUTH greeting on a connection that wanted STARTTLS (--upstream-starttls): the upgrade is impossible, so the session is closed' },
  'upstream-certificate-rejected': { level: 'error', rfc: 'RFC 8314 (certificate validation)', source: 'tls',
    summary: 'the upstream certificate failed verification; the client got * BYE (use --upstream-ca FILE or --insecure-upstream)' },
  'client-tls-failed': { level: 'error', rfc: 'RFC 8446 6', source: 'tls',
    summary: 'the client gave up the TLS handshake with imapdbg (usually: it does not trust the imapdbg CA; see "imapdbg ca show")' },
  'upstream-tls-failed': { level: 'error', rfc: 'RFC 3501 6.2.1, RFC 8314', source: 'tls',
    summary: 'no TLS with the server: the connection or handshake failed, or it refused imapdbg\'s own STARTTLS (--upstream-starttls); the client got * BYE' },
  'imapdbg-starttls': { level: 'info', rfc: 'RFC 3501 6.2.1', source: 'tls',
    summary: 'imapdbg upgraded the server leg itself (--upstream-starttls); its STARTTLS exchange is not forwarded to the client' },
  'upstream-unreachable': { level: 'error', rfc: 'RFC 3501 7.1.5', source: 'proxy',
    summary: 'imapdbg could not connect to the server (refused, unreachable, timed out); the client got * BYE [UNAVAILABLE]' },
  'bytes-not-delivered': { level: 'warning', rfc: 'RFC 3501 2.1', source: 'proxy',
    summary: 'bytes read from one peer after the other side had closed: they reached nobody (not recorded as forwarded)' },
  'lab-frame-not-held': { level: 'info', rfc: 'imapdbg', source: 'lab',
    summary: 'a frame larger than the rules\' hold limit (1 MiB) was forwarded as it came, unchanged: rules, scripts and intercept act on frames up to that size (nothing is buffered beyond it)' },
  'lab-after-compress': { level: 'info', rfc: 'RFC 4978 3', source: 'lab',
    summary: 'after COMPRESS=DEFLATE, rules, scripts and intercept no longer change frames (only blackhole, reset and close act): hide-capability COMPRESS=DEFLATE keeps them working' },
  'lab-stage-failed': { level: 'warning', rfc: 'imapdbg', source: 'lab',
    summary: 'a rule, script or intercept stage threw on a frame: that frame was forwarded unchanged' },
} as const satisfies Record<string, Omit<RuleInfo, 'code'>>;

/** A finding code from the catalog. */
export type RuleCode = keyof typeof RULES;

/** A finding for a catalogued rule; `level` overrides the catalog's default where a rule grades itself. */
export function finding(code: RuleCode, message: string, level?: FindingLevel): Finding {
  const rule = RULES[code];
  return { level: level ?? rule.level, code, rfc: rule.rfc, message };
}

/** The catalog as a list, in table order. */
export function ruleList(): RuleInfo[] {
  return Object.entries(RULES).map(([code, r]) => ({ code, ...r }));
}

/** Severity order: `error` > `warning` > `info`. */
export function levelRank(level: FindingLevel): number {
  return level === 'error' ? 2 : level === 'warning' ? 1 : 0;
}
