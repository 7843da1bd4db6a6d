import { boundedCopy, STORED_STRING_LIMITS } from '../bounded-string';
import { CapabilityTracker } from '../capability-tracker';
import type { Annotation, Finding, Frame } from '../frame';
import { pairedCommand } from '../frame-facts';
import { NO_ANNOTATIONS, NO_FINDINGS } from '../no-results';
import type { FrameAnnotator } from '../session-model';
import { finding, type RuleCode } from './rule-catalog';

/** A STARTTLS or TLS finding code (they live in the one catalog, rule-catalog.ts). */
export type StartTlsCode = RuleCode;

/** A finding for a STARTTLS or TLS rule, level and RFC section from the catalog. */
export function startTlsFinding(code: StartTlsCode, message: string): Finding {
  return finding(code, message);
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

  observe(frame: Frame): readonly Annotation[] {
    const found = frame.direction === 'client' ? this.client(frame) : this.server(frame);
    this.capabilities.observe(frame);
    if (frame.direction === 'server' && this.capabilities.has('STARTTLS') && !this.upgraded) this.advertised = true;
    // Runs for every frame: no garbage when nothing is found (a loop, not `map` and its closure).
    if (found.length === 0) return NO_ANNOTATIONS;
    const out: Annotation[] = [];
    for (let i = 0; i < found.length; i++) out.push({ kind: 'finding', finding: found[i] });
    return out;
  }

  // Runs for every client frame: the array is made only when there is a finding.
  private client(frame: Frame): readonly Finding[] {
    let out: Finding[] | undefined;
    if (this.pendingTag !== undefined && (frame.tag === undefined || boundedCopy(frame.tag, STORED_STRING_LIMITS.tag) !== this.pendingTag)) {
      out = [startTlsFinding('starttls-pipelined', `client sent ${frame.verb ?? frame.kind} before the response to STARTTLS (${this.pendingTag}) and the TLS handshake`)];
    }
    if (frame.kind !== 'command') return out ?? NO_FINDINGS;
    if (frame.verb === 'STARTTLS') {
      if (this.upgraded) (out ??= []).push(startTlsFinding('starttls-twice', 'STARTTLS again, though TLS is already active on this connection'));
      else if (this.authenticated) (out ??= []).push(startTlsFinding('starttls-while-authenticated', 'STARTTLS in the authenticated state; a server must refuse it, and a client that wanted TLS must now hang up'));
      else if (this.capabilities.state.kind === 'known' && !this.capabilities.has('STARTTLS')) {
        (out ??= []).push(startTlsFinding('starttls-not-advertised', `STARTTLS sent though the capabilities (from the ${this.capabilities.state.via}) do not list it`));
      }
      this.pendingTag = frame.tag === undefined ? undefined : boundedCopy(frame.tag, STORED_STRING_LIMITS.tag);
    } else if ((frame.verb === 'LOGIN' || frame.verb === 'AUTHENTICATE') && !this.upgraded && this.advertised) {
      (out ??= []).push(startTlsFinding('cleartext-login', `${frame.verb} before any STARTTLS, though the server advertised STARTTLS: the credentials cross this connection in clear text`));
    }
    return out ?? NO_FINDINGS;
  }

  private server(frame: Frame): readonly Finding[] {
    if (frame.kind === 'greeting' && frame.verb === 'PREAUTH') this.authenticated = true;
    const command = pairedCommand(frame);
    if (command === undefined) return NO_FINDINGS;
    if (command === 'STARTTLS') {
      this.pendingTag = undefined;
      if (frame.verb === 'OK') this.upgraded = true;
    } else if ((command === 'LOGIN' || command === 'AUTHENTICATE') && frame.verb === 'OK') {
      this.authenticated = true;
    }
    return NO_FINDINGS;
  }
}
