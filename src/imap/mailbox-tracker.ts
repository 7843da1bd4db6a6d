import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import type { Annotation, Frame } from './frame';
import { commandArguments, firstLine, messageNumber, pairedCommand, responseCode } from './frame-facts';
import { finding } from './lint/rule-catalog';
import { decodeModifiedUtf7 } from './modified-utf7';
import { NO_ANNOTATIONS } from './no-results';
import { phaseMaker, type DetailValue, type PhaseAnnotationOf, type PhaseSpecs } from './phase-detail';
import type { FrameAnnotator } from './session-model';

/** The selected mailbox, as far as the frames tell. */
export type MailboxPhase =
  | { kind: 'none' }
  /** SELECT or EXAMINE sent; its untagged data arrive until the tagged response (RFC 3501 6.3.1). */
  | { kind: 'opening'; tag: string; name: string; decoded?: string; readOnly: boolean; exists?: number; uidValidity?: number }
  | { kind: 'selected'; name: string; readOnly: boolean; exists: number; expunged: number; uidValidity?: number };

/** The mailbox phases and their detail fields; `decoded` is the name as a person reads it, when that differs. */
export const MAILBOX_PHASES = {
  'mailbox-opening': { tag: 'string', mailbox: 'string', decoded: 'string?', readOnly: 'boolean' },
  'mailbox-selected': { mailbox: 'string', decoded: 'string?', access: ['read-only', 'read-write'], exists: 'number', uidValidity: 'number?' },
  'mailbox-select-failed': { tag: 'string', mailbox: 'string', status: 'string' },
  'mailbox-closed': { mailbox: 'string', by: ['CLOSE', 'UNSELECT'], exists: 'number', expunged: 'number' },
  'mailbox-exists': { mailbox: 'string', exists: 'number', delta: 'number' },
  'mailbox-expunge': { mailbox: 'string', message: 'number', exists: 'number', expunged: 'number' },
  'uidvalidity-changed': { mailbox: 'string', uidValidity: 'number', previous: 'number?' },
  /** ESEARCH (RFC 4731): the command it answers, whether UIDs, then result items by name (min, max, count, all...). */
  'search-results': { tag: 'string?', uid: 'boolean?', '*': 'primitive' },
} as const satisfies PhaseSpecs;

/** A mailbox phase annotation (MailboxTracker). */
export type MailboxPhaseAnnotation = PhaseAnnotationOf<typeof MAILBOX_PHASES>;

const phase = phaseMaker<typeof MAILBOX_PHASES>();

/**
 * Follows the selected mailbox (SELECT, EXAMINE, CLOSE, UNSELECT), its EXISTS and EXPUNGE counts
 * and its UIDVALIDITY. A SELECT deselects the current mailbox at once, so a failed SELECT leaves
 * none selected (RFC 3501 6.3.1). Annotations: `mailbox-opening`, `mailbox-selected`,
 * `mailbox-select-failed`, `mailbox-closed`, `mailbox-exists`, `mailbox-expunge`, `uidvalidity-changed`.
 */
export class MailboxTracker implements FrameAnnotator {
  private state: MailboxPhase = { kind: 'none' };

  /** `utf8Accepted`: whether UTF8=ACCEPT (RFC 6855 3) or IMAP4rev2 (RFC 9051 5.1) is in force: names are UTF-8, not modified UTF-7. */
  constructor(private readonly utf8Accepted: () => boolean = () => false) {}

  get phase(): Readonly<MailboxPhase> {
    return this.state;
  }

  // Runs for every frame: no garbage when there is nothing to annotate.
  observe(frame: Frame): readonly Annotation[] {
    if (frame.direction === 'client') {
      if (frame.kind !== 'command' || frame.tag === undefined || (frame.verb !== 'SELECT' && frame.verb !== 'EXAMINE')) return NO_ANNOTATIONS;
      const arg = commandArguments(frame)[0] ?? '';
      // A mailbox name sent as a literal is in a later segment; the first line only announces it.
      const name = /^~?\{[0-9]+[+-]?\}$/.test(arg) ? '(literal)' : boundedCopy(arg, STORED_STRING_LIMITS.name);
      const readOnly = frame.verb === 'EXAMINE';
      const tag = boundedCopy(frame.tag, STORED_STRING_LIMITS.tag);
      const shown: { decoded?: string; invalid?: string } = name === '(literal)' ? {} : this.decodedName(name);
      this.state = { kind: 'opening', tag, name, decoded: shown.decoded, readOnly };
      const out: Annotation[] = [phase('mailbox-opening', {
        tag, mailbox: name, ...(shown.decoded !== undefined ? { decoded: shown.decoded } : {}), readOnly,
      })];
      if (shown.invalid !== undefined) {
        out.push({ kind: 'finding', finding: finding('mailbox-name-bad-utf7', `mailbox name is not valid modified UTF-7 (${shown.invalid}); shown raw`) });
      }
      return out;
    }
    if (frame.kind === 'untagged' && frame.verb === 'ESEARCH') return [esearchPhase(frame)];
    const st = this.state;
    switch (st.kind) {
      case 'none':
        return NO_ANNOTATIONS;
      case 'opening':
        return this.whileOpening(st, frame);
      case 'selected':
        return this.whileSelected(st, frame);
      default: {
        const never: never = st;
        return never;
      }
    }
  }

  private whileOpening(st: Extract<MailboxPhase, { kind: 'opening' }>, frame: Frame): readonly Annotation[] {
    if (frame.kind === 'untagged') {
      if (frame.verb === 'EXISTS') st.exists = messageNumber(frame);
      const validity = uidValidity(frame);
      if (validity !== undefined) st.uidValidity = validity;
      return NO_ANNOTATIONS;
    }
    if (frame.kind !== 'tagged' || frame.tag !== st.tag) return NO_ANNOTATIONS;
    if (frame.verb !== 'OK') {
      this.state = { kind: 'none' };
      return [phase('mailbox-select-failed', { tag: st.tag, mailbox: st.name, status: frame.verb ?? '' })];
    }
    const code = responseCode(frame)?.toUpperCase();
    const readOnly = code === 'READ-ONLY' ? true : code === 'READ-WRITE' ? false : st.readOnly;
    this.state = { kind: 'selected', name: st.name, readOnly, exists: st.exists ?? 0, expunged: 0, uidValidity: st.uidValidity };
    return [phase('mailbox-selected', {
      mailbox: st.name, ...(st.decoded !== undefined ? { decoded: st.decoded } : {}),
      access: readOnly ? 'read-only' : 'read-write', exists: st.exists ?? 0,
      ...(st.uidValidity !== undefined ? { uidValidity: st.uidValidity } : {}),
    })];
  }

  private whileSelected(st: Extract<MailboxPhase, { kind: 'selected' }>, frame: Frame): readonly Annotation[] {
    if (frame.kind === 'tagged') {
      const command = pairedCommand(frame);
      if (frame.verb === 'OK' && (command === 'CLOSE' || command === 'UNSELECT')) {
        this.state = { kind: 'none' };
        return [phase('mailbox-closed', { mailbox: st.name, by: command, exists: st.exists, expunged: st.expunged })];
      }
      return NO_ANNOTATIONS;
    }
    if (frame.kind !== 'untagged') return NO_ANNOTATIONS;
    if (frame.verb === 'EXISTS') {
      const n = messageNumber(frame) ?? st.exists;
      const delta = n - st.exists;
      st.exists = n;
      return [phase('mailbox-exists', { mailbox: st.name, exists: n, delta })];
    }
    if (frame.verb === 'EXPUNGE') {
      // RFC 3501 7.4.1: each EXPUNGE decrements the message count at once.
      st.exists = Math.max(0, st.exists - 1);
      st.expunged += 1;
      return [phase('mailbox-expunge', { mailbox: st.name, message: messageNumber(frame) ?? 0, exists: st.exists, expunged: st.expunged })];
    }
    const validity = uidValidity(frame);
    if (validity !== undefined && validity !== st.uidValidity) {
      const previous = st.uidValidity;
      st.uidValidity = validity;
      return [phase('uidvalidity-changed', { mailbox: st.name, uidValidity: validity, ...(previous !== undefined ? { previous } : {}) })];
    }
    return NO_ANNOTATIONS;
  }

  /**
   * The name as a person reads it, when that differs from the raw name: modified UTF-7 decoded,
   * or under UTF8=ACCEPT the UTF-8 bytes decoded. Invalid modified UTF-7: no decoding, the reason.
   */
  private decodedName(name: string): { decoded?: string; invalid?: string } {
    if (this.utf8Accepted()) {
      const utf8 = Buffer.from(name, 'latin1').toString('utf8');
      return utf8 === name ? {} : { decoded: utf8 };
    }
    const d = decodeModifiedUtf7(name);
    if (!d.ok) return { invalid: d.reason };
    return d.text === name ? {} : { decoded: boundedCopy(d.text, STORED_STRING_LIMITS.name) };
  }
}

/**
 * `* ESEARCH (TAG "a1") UID COUNT 3 MIN 1 ALL 1:3` (RFC 4731, part of IMAP4rev2: RFC 9051 7.3.4):
 * which command it answers, whether the numbers are UIDs, and its result items, each bounded.
 */
function esearchPhase(frame: Frame): Annotation {
  const text = firstLine(frame).slice('* ESEARCH'.length).trim();
  const detail: Record<string, DetailValue> = {};
  const m = /^\(TAG "((?:[^"\\]|\\.)*)"\)\s*/i.exec(text);
  let rest = m ? text.slice(m[0].length) : text;
  if (m) detail.tag = boundedCopy(m[1], STORED_STRING_LIMITS.tag);
  if (/^UID(\s|$)/i.test(rest)) {
    detail.uid = true;
    rest = rest.slice(3).trim();
  }
  const words = rest.split(' ').filter((w) => w !== '');
  // Result items are name/value pairs (MIN, MAX, COUNT, ALL, MODSEQ); a few are kept.
  for (let i = 0; i + 1 < words.length && i < 16; i += 2) {
    const name = words[i].toLowerCase();
    if (!/^[a-z][a-z0-9-]*$/.test(name) || name in detail) continue;
    const value = words[i + 1];
    detail[boundedCopy(name, 32)] = /^[0-9]{1,15}$/.test(value) ? Number(value) : boundedCopy(value, 128);
  }
  return phase('search-results', detail);
}

// Hoisted: each evaluation of a regex literal makes a new RegExp, and this runs for untagged OKs while a mailbox is open.
const UIDVALIDITY_CODE = /^UIDVALIDITY ([0-9]+)/i;

/** `* OK [UIDVALIDITY n]` (RFC 3501 7.1). */
function uidValidity(frame: Frame): number | undefined {
  if (frame.verb !== 'OK') return undefined;
  const m = UIDVALIDITY_CODE.exec(responseCode(frame) ?? '');
  return m ? Number(m[1]) : undefined;
}
