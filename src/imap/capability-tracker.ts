import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import type { Annotation, Frame } from './frame';
import { firstLine, pairedCommand, responseCode } from './frame-facts';
import { NO_ANNOTATIONS } from './no-results';
import { phaseMaker, type PhaseAnnotationOf, type PhaseSpecs } from './phase-detail';
import type { FrameAnnotator } from './session-model';

/**
 * The capability phases and their detail fields: where a list came from, the session's stage, its
 * size and what changed since the last one (space-separated names); the list itself is in the frame.
 */
export const CAPABILITY_PHASES = {
  'capabilities': {
    via: 'string', stage: 'string', tls: 'boolean', count: 'number', ignored: 'number?', added: 'string?', removed: 'string?',
  },
  'capabilities-discarded': { after: ['STARTTLS'] },
  'extensions-enabled': { enabled: 'string', added: 'string?', imap4rev2: 'boolean?' },
} as const satisfies PhaseSpecs;

/** A capability phase annotation (CapabilityTracker). */
export type CapabilityPhaseAnnotation = PhaseAnnotationOf<typeof CAPABILITY_PHASES>;

const phase = phaseMaker<typeof CAPABILITY_PHASES>();

/** What the client may know of the server's capabilities at a point of the session. */
export type CapabilityState =
  /** No list seen yet, or the list was discarded after STARTTLS (RFC 3501 6.2.1). */
  | { kind: 'unknown'; reason: 'not-seen' | 'discarded-after-starttls' }
  | { kind: 'known'; capabilities: ReadonlySet<string>; via: string };

/** Read access for the linter. */
export interface CapabilityView {
  readonly state: Readonly<CapabilityState>;
  /** True when the capability is in the current list (case-insensitive); false when unknown too. */
  has(name: string): boolean;
  /** True when the server confirmed `ENABLE name` with `* ENABLED ... name` (RFC 5161), case-insensitive. */
  enabled(name: string): boolean;
  /**
   * True when the session speaks IMAP4rev2 (RFC 9051): the server ENABLED it, or it advertises
   * IMAP4rev2 without IMAP4rev1 (a rev2-only server needs no ENABLE, RFC 9051 7.2.1).
   */
  readonly rev2: boolean;
}

/** Extensions kept of `* ENABLED` responses (RFC 5161 knows a handful). */
const MAX_KEPT_ENABLED = 32;

/** Capabilities kept of one list (Dovecot advertises ~40); the rest of a hostile list is counted, not stored. */
export const MAX_KEPT_CAPABILITIES = 256;

/**
 * Follows the capabilities the server announced (RFC 3501 7.2.1): the greeting's `[CAPABILITY ...]`
 * code, `* CAPABILITY` responses, the code in a tagged OK (Dovecot sends one after LOGIN), and the
 * discard that STARTTLS requires. Each new list is a `capabilities` phase naming where it came from,
 * the session's stage, how many capabilities it holds, and what was added or removed since the last one.
 */
export class CapabilityTracker implements FrameAnnotator, CapabilityView {
  private current: CapabilityState = { kind: 'unknown', reason: 'not-seen' };
  private authenticated = false;
  private tls = false;
  private readonly enabledSet = new Set<string>();

  get state(): Readonly<CapabilityState> {
    return this.current;
  }

  /** The server leg is TLS without a STARTTLS in the conversation (implicit TLS, imapdbg's own STARTTLS). */
  tlsStarted(): void {
    this.tls = true;
  }

  has(name: string): boolean {
    return this.current.kind === 'known' && this.current.capabilities.has(upperCased(name));
  }

  enabled(name: string): boolean {
    return this.enabledSet.has(upperCased(name));
  }

  get rev2(): boolean {
    // Names in upper case: the lint rules read this for nearly every frame.
    return this.enabledSet.has('IMAP4REV2') || (this.has('IMAP4REV2') && !this.has('IMAP4REV1'));
  }

  // Runs for every frame (twice: StartTlsLint keeps its own): no garbage when nothing changes.
  observe(frame: Frame): readonly Annotation[] {
    if (frame.direction !== 'server') return NO_ANNOTATIONS;
    if (frame.kind === 'untagged' && frame.verb === 'ENABLED') return this.onEnabled(frame);
    const command = pairedCommand(frame);
    const ok = frame.verb === 'OK';
    if (frame.kind === 'greeting' && frame.verb === 'PREAUTH') this.authenticated = true;
    if (frame.kind === 'tagged' && ok && (command === 'LOGIN' || command === 'AUTHENTICATE')) this.authenticated = true;
    if (frame.kind === 'tagged' && ok && command === 'STARTTLS') {
      // RFC 3501 6.2.1: after STARTTLS the client MUST discard cached capability information.
      this.tls = true;
      this.current = { kind: 'unknown', reason: 'discarded-after-starttls' };
      return [phase('capabilities-discarded', { after: 'STARTTLS' })];
    }
    const list = capabilityList(frame);
    if (list === undefined) return NO_ANNOTATIONS;
    const via = frame.kind === 'greeting' ? 'greeting'
      : frame.kind === 'untagged' && frame.verb === 'CAPABILITY' ? 'CAPABILITY response'
        : frame.kind === 'tagged' ? `${command ?? 'tagged'} OK` : 'untagged OK';
    const previous = this.current.kind === 'known' ? this.current.capabilities : undefined;
    const capabilities = new Set(list.slice(0, MAX_KEPT_CAPABILITIES).map((c) => boundedCopy(c.toUpperCase(), STORED_STRING_LIMITS.verb)));
    this.current = { kind: 'known', capabilities, via };
    const added = previous ? [...capabilities].filter((c) => !previous.has(c)) : [];
    const removed = previous ? [...previous].filter((c) => !capabilities.has(c)) : [];
    return [phase('capabilities', {
      // The list itself is in the frame's text; the annotation says where it stands and what changed.
      via, stage: this.authenticated ? 'authenticated' : 'not authenticated', tls: this.tls, count: capabilities.size,
      ...(list.length > MAX_KEPT_CAPABILITIES ? { ignored: list.length - MAX_KEPT_CAPABILITIES } : {}),
      ...(added.length ? { added: added.join(' ') } : {}),
      ...(removed.length ? { removed: removed.join(' ') } : {}),
    })];
  }

  private onEnabled(frame: Frame): Annotation[] {
    const names = firstLine(frame).split(' ').slice(2).filter((c) => c !== '');
    const added: string[] = [];
    for (const n of names) {
      const name = boundedCopy(n.toUpperCase(), STORED_STRING_LIMITS.verb);
      if (this.enabledSet.size >= MAX_KEPT_ENABLED || this.enabledSet.has(name)) continue;
      this.enabledSet.add(name);
      added.push(name);
    }
    return [phase('extensions-enabled', {
      enabled: [...this.enabledSet].join(' '), ...(added.length ? { added: added.join(' ') } : {}), ...(this.rev2 ? { imap4rev2: true } : {}),
    })];
  }
}

/** The capability list a server frame carries, if any: `* CAPABILITY a b` or a `[CAPABILITY a b]` code. */
function capabilityList(frame: Frame): string[] | undefined {
  if (frame.kind === 'untagged' && frame.verb === 'CAPABILITY') {
    return firstLine(frame).split(' ').slice(2).filter((c) => c !== '');
  }
  if (frame.verb !== 'OK' && frame.verb !== 'PREAUTH') return undefined;
  // Most OKs (a NOOP's, a FETCH's) have no response code: without a `[`, skip responseCode's regex.
  if (!firstLine(frame).includes('[')) return undefined;
  const code = responseCode(frame);
  if (code === undefined || !/^CAPABILITY /i.test(code)) return undefined;
  return code.split(' ').slice(1).filter((c) => c !== '');
}

/**
 * `name.toUpperCase()`, the same string when it has no lower-case letter (the callers' constants):
 * toUpperCase makes a new string even then, and `has` and `enabled` run for nearly every frame.
 */
function upperCased(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || c >= 0x80) return name.toUpperCase();
  }
  return name;
}
