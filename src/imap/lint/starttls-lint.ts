import { boundedCopy, STORED_STRING_LIMITS } from '../bounded-string';
import { CapabilityTracker } from '../capability-tracker';
import type { Annotation, Finding, FindingLevel, Frame } from '../frame';
import { pairedCommand } from '../frame-facts';
import type { FrameAnnotator } from '../session-model';

/**
 * STARTTLS findings, in the shape of the lint catalog (`rule-catalog.ts`) so they can be listed
 * with it. Two of them need byte-level knowledge and are raised by the proxy's STARTTLS layer
 * (`src/proxy/tls/`), not by the frame rules below.
 */
export const STARTTLS_RULES = {
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
  'preauth-instead-of-starttls': { level: 'error', rfc: 'RFC 3501 6.2.1, 7.1.4', source: 'tls',
    summary: 'a PREAUTH greeting on a connection that wanted STARTTLS (--upstream-starttls): the upgrade is impossible, so the session is closed' },
  'upstream-certificate-rejected': { level: 'error', rfc: 'RFC 8314 (certificate validation)', source: 'tls',
    summary: 'the upstream certificate failed verification; the client got * BYE (use --upstream-ca FILE or --insecure-upstream)' },
  'client-tls-failed': { level: 'error', rfc: 'RFC 8446 6', source: 'tls',
    summary: 'the client gave up the TLS handshake with imapdbg (usually: it does not trust the imapdbg CA; see "imapdbg ca show")' },
  'upstream-tls-failed': { level: 'error', rfc: 'RFC 3501 6.2.1, RFC 8314', source: 'tls',
    summary: 'no TLS with the server: the connection or handshake failed, or it refused imapdbg\'s own STARTTLS (--upstream-starttls); the client got * BYE' },
  'imapdbg-starttls': { level: 'info', rfc: 'RFC 3501 6.2.1', source: 'tls',
    summary: 'imapdbg upgraded the server leg itself (--upstream-starttls); its STARTTLS exchange is not forwarded to the client' },
} as const satisfies Record<string, { level: FindingLevel; rfc: string; source: string; summary: string }>;

/** A STARTTLS finding code. */
export type StartTlsCode = keyof typeof STARTTLS_RULES;

/** A finding for a STARTTLS rule, level and RFC section from the table. */
export function startTlsFinding(code: StartTlsCode, message: string): Finding {
  const rule = STARTTLS_RULES[code];
  return { level: rule.level, code, rfc: rule.rfc, message };
}

/**
 * Frame-level STARTTLS rules, live and offline alike. It keeps its own capability tracker so
 * that each client frame is judged against the capabilities in force when it was sent.
 */
export class StartTlsLint implements FrameAnnotator {
  private readonly capabilities = new CapabilityTracker();
  /** Tag of a STARTTLS still waiting for its tagged response. */
  private pendingTag: string | undefined;
  private upgraded = false;
  private authenticated = false;
  private advertised = false;

  observe(frame: Frame): Annotation[] {
    const found = frame.direction === 'client' ? this.client(frame) : this.server(frame);
    this.capabilities.observe(frame);
    if (frame.direction === 'server' && this.capabilities.has('STARTTLS') && !this.upgraded) this.advertised = true;
    return found.map((finding) => ({ kind: 'finding', finding }));
  }

  private client(frame: Frame): Finding[] {
    const out: Finding[] = [];
    if (this.pendingTag !== undefined && (frame.tag === undefined || boundedCopy(frame.tag, STORED_STRING_LIMITS.tag) !== this.pendingTag)) {
      out.push(startTlsFinding('starttls-pipelined', `client sent ${frame.verb ?? frame.kind} before the response to STARTTLS (${this.pendingTag}) and the TLS handshake`));
    }
    if (frame.kind !== 'command') return out;
    if (frame.verb === 'STARTTLS') {
      if (this.upgraded) out.push(startTlsFinding('starttls-twice', 'STARTTLS again, though TLS is already active on this connection'));
      else if (this.authenticated) out.push(startTlsFinding('starttls-while-authenticated', 'STARTTLS in the authenticated state; a server must refuse it, and a client that wanted TLS must now hang up'));
      else if (this.capabilities.state.kind === 'known' && !this.capabilities.has('STARTTLS')) {
        out.push(startTlsFinding('starttls-not-advertised', `STARTTLS sent though the capabilities (from the ${this.capabilities.state.via}) do not list it`));
      }
      this.pendingTag = frame.tag === undefined ? undefined : boundedCopy(frame.tag, STORED_STRING_LIMITS.tag);
    } else if ((frame.verb === 'LOGIN' || frame.verb === 'AUTHENTICATE') && !this.upgraded && this.advertised) {
      out.push(startTlsFinding('cleartext-login', `${frame.verb} before any STARTTLS, though the server advertised STARTTLS: the credentials cross this connection in clear text`));
    }
    return out;
  }

  private server(frame: Frame): Finding[] {
    if (frame.kind === 'greeting' && frame.verb === 'PREAUTH') this.authenticated = true;
    const command = pairedCommand(frame);
    if (command === undefined) return [];
    if (command === 'STARTTLS') {
      this.pendingTag = undefined;
      if (frame.verb === 'OK') this.upgraded = true;
    } else if ((command === 'LOGIN' || command === 'AUTHENTICATE') && frame.verb === 'OK') {
      this.authenticated = true;
    }
    return [];
  }
}
