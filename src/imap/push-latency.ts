import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import type { Annotation, Finding, Frame } from './frame';
import { commandArguments } from './frame-facts';
import type { ProxyEvent } from './events';
import { formatLatency } from './notation';
import { finding } from './lint/rule-catalog';
import { phaseMaker, type DetailOf, type PhaseAnnotationOf, type PhaseSpecs } from './phase-detail';

/**
 * The `push-heard` annotation on an untagged update (EXISTS, EXPUNGE, FETCH, VANISHED) that reached
 * an idling session after another session of the same user changed its mailbox. Read by the TUI.
 * `fromSession`: the session whose command changed the mailbox; `fromSeq`: frame seq (in it) of that
 * command's tagged OK, or of the command when `beforeOk`; `command`: APPEND, MOVE, COPY, STORE,
 * EXPUNGE (UID forms as sent); `latencyUs`: from the tagged OK (or, when `beforeOk`, from the
 * command) to this update; `beforeOk`: the update came while the command was still in progress.
 */
export const PUSH_PHASES = {
  'push-heard': { fromSession: 'number', fromSeq: 'number', command: 'string', mailbox: 'string', latencyUs: 'number', beforeOk: 'boolean' },
} as const satisfies PhaseSpecs;

/** A push phase annotation (PushLatencyCorrelator). */
export type PushPhaseAnnotation = PhaseAnnotationOf<typeof PUSH_PHASES>;

export type PushHeardDetail = DetailOf<typeof PUSH_PHASES['push-heard']>;

const phase = phaseMaker<typeof PUSH_PHASES>();

/** A change counts once per session at most this many are open (bounds state against a hostile client). */
export const PUSH_LIMITS = { sessions: 10_000, changesInFlightPerSession: 64, listenersPerChange: 32, pendingChanges: 1000, annotationsPerUpdate: 4 } as const;

/** Commands that change a mailbox, and which mailbox: an argument, or the selected one. */
const CHANGES: Readonly<Record<string, 'first-argument' | 'last-argument' | 'selected'>> = {
  APPEND: 'first-argument',
  COPY: 'last-argument', 'UID COPY': 'last-argument', MOVE: 'last-argument', 'UID MOVE': 'last-argument',
  STORE: 'selected', 'UID STORE': 'selected', EXPUNGE: 'selected', 'UID EXPUNGE': 'selected',
};

const UPDATES = new Set(['EXISTS', 'EXPUNGE', 'FETCH', 'VANISHED']);

interface SessionState {
  upstream: string;
  /** The LOGIN user, once authenticated (empty for AUTHENTICATE: the key then holds the upstream alone). */
  user?: string;
  loginUser?: string;
  mailbox?: string;
  idling: boolean;
  /** While idling: the keys it is indexed under (its mailbox, if one is selected, and its user). */
  idleMailboxKey?: string;
  idleUserKey?: string;
  inFlight: Map<string, InFlight>;
}

interface InFlight {
  session: number;
  command: string;
  mailbox: string;
  key: string;
  sentUs: number;
  seq: number;
  /** Idling sessions that already got an update while the command was in progress. */
  earlyHeard: Set<number>;
}

interface Change {
  from: number;
  command: string;
  mailbox: string;
  key: string;
  okUs: number;
  okSeq: number;
  /** Sessions idling on the mailbox at the OK that have not heard yet. */
  waiting: Set<number>;
  heard: number;
}

/** What the correlator makes of one event: annotations for the event's frame, and findings of other sessions. */
/** The output of an event that changes nothing (shared; callers only read it). */
const NOTHING: PushOutput = Object.freeze({ annotations: Object.freeze([]) as unknown as Annotation[], findings: Object.freeze([]) as unknown as PushOutput['findings'] });

export interface PushOutput {
  annotations: Annotation[];
  findings: Array<{ session: number; timeUs: number; finding: Finding }>;
}

/**
 * Relates a change made in one session (APPEND/COPY/MOVE/STORE/EXPUNGE answered OK for mailbox M)
 * to the untagged update that reaches another session of the same user and upstream idling on M:
 * "#3 got * 5 EXISTS 41 ms after #2's APPEND OK". A change that no session idling on M hears
 * about within the push timeout, or before all of them stop idling, is a `push-unheard` finding
 * (info when other sessions of the user idle, but none on M). Reads the phase annotations of the
 * trackers (auth, mailbox, IDLE); pure: events in, annotations and findings out.
 */
export class PushLatencyCorrelator {
  private readonly sessions = new Map<number, SessionState>();
  private pending: Change[] = [];
  /** Changes sent and not yet answered, by user-and-mailbox key: an update may overtake the OK. */
  private readonly inFlight = new Map<string, Set<InFlight>>();
  /** Idling sessions by user-and-mailbox key, and by user: a change looks up its listeners, not every session. */
  private readonly idlersByMailbox = new Map<string, Set<number>>();
  private readonly idlersByUser = new Map<string, Set<number>>();

  constructor(private readonly timeoutUs: number) {}

  observe(event: ProxyEvent): PushOutput {
    // Most events (data, tls, findings) change nothing here: answer them without allocating.
    if (event.type === 'session-open') {
      this.sessions.set(event.session.id, { upstream: boundedCopy(event.session.upstream, STORED_STRING_LIMITS.name), idling: false, inFlight: new Map() });
      if (this.sessions.size > PUSH_LIMITS.sessions) this.forget(this.sessions.keys().next().value as number);
      return NOTHING;
    }
    if (event.type === 'frame') {
      // Every frame of every session comes here: a frame that changes nothing allocates nothing.
      const expired = this.expire(event.frame.timeUs);
      const out = this.frame(event.frame);
      return expired.length === 0 ? out : { annotations: out.annotations, findings: joined(expired, out.findings) };
    }
    if (event.type === 'session-close') {
      const out: PushOutput = { annotations: [], findings: [...this.expire(event.timeUs), ...this.stopListening(event.session, event.timeUs)] };
      this.forget(event.session);
      return out;
    }
    return NOTHING;
  }

  /** How much state is held (for the bounds tests): sessions, changes awaiting an update, changes in flight. */
  get held(): { sessions: number; pending: number; listeners: number; inFlight: number } {
    let inFlight = 0;
    for (const set of this.inFlight.values()) inFlight += set.size;
    const listeners = this.pending.reduce((n, c) => n + c.waiting.size, 0);
    return { sessions: this.sessions.size, pending: this.pending.length, listeners, inFlight };
  }

  /** Changes whose timeout passed by `nowUs` with an idling session of their mailbox still not told. */
  expire(nowUs: number): PushOutput['findings'] {
    if (this.pending.length === 0 || nowUs - this.pending[0].okUs <= this.timeoutUs) return NOTHING.findings;
    const out: PushOutput['findings'] = [];
    while (this.pending.length > 0 && nowUs - this.pending[0].okUs > this.timeoutUs) {
      const c = this.pending.shift() as Change;
      if (c.heard === 0) out.push(unheard(c, c.okUs + this.timeoutUs, `within ${formatLatency(this.timeoutUs)}`, c.waiting));
    }
    return out;
  }

  private frame(frame: Frame): PushOutput {
    const s = this.sessions.get(frame.session);
    if (!s) return NOTHING;
    let annotations = NOTHING.annotations;
    let findings = NOTHING.findings;
    if (frame.direction === 'client' && frame.kind === 'command' && frame.tag !== undefined && frame.verb !== undefined) {
      if (frame.verb === 'LOGIN') s.loginUser = boundedCopy(commandArguments(frame)[0] ?? '', STORED_STRING_LIMITS.name);
      this.changeSent(s, frame);
    }
    if (frame.direction === 'server' && frame.kind === 'tagged' && frame.tag !== undefined) {
      const change = s.inFlight.get(frame.tag);
      if (change) {
        this.settle(s, frame.tag, change);
        if (frame.verb === 'OK') findings = joined(findings, this.changed(frame, change));
      }
    }
    if (frame.direction === 'server' && frame.kind === 'untagged' && s.idleMailboxKey !== undefined && UPDATES.has(frame.verb ?? '')) {
      annotations = joined(annotations, this.update(frame, s.idleMailboxKey));
    }
    for (const a of frame.annotations) {
      if (a.kind !== 'phase') continue;
      if (a.phase === 'auth-succeeded') s.user = s.loginUser;
      else if (a.phase === 'mailbox-selected') s.mailbox = mailboxName(a.detail.mailbox);
      else if (a.phase === 'mailbox-opening' || a.phase === 'mailbox-closed' || a.phase === 'mailbox-select-failed') s.mailbox = undefined;
      else if (a.phase === 'idle-requested') this.startIdling(frame.session, s);
      else if (a.phase === 'idle-ended' || a.phase === 'idle-rejected') findings = joined(findings, this.stopListening(frame.session, frame.timeUs));
    }
    return annotations === NOTHING.annotations && findings === NOTHING.findings ? NOTHING : { annotations, findings };
  }

  private changeSent(s: SessionState, frame: Frame): void {
    const verb = frame.verb as string;
    const where = CHANGES[verb];
    if (where === undefined || s.inFlight.size >= PUSH_LIMITS.changesInFlightPerSession) return;
    const args = commandArguments(frame);
    const raw = where === 'selected' ? s.mailbox : where === 'first-argument' ? args[0] : args[args.length - 1];
    if (raw === undefined || /^~?\{[0-9]+[+-]?\}$/.test(raw)) return; // a mailbox name sent as a literal is not on this line
    const mailbox = mailboxName(boundedCopy(raw, STORED_STRING_LIMITS.name));
    const tag = boundedCopy(frame.tag as string, STORED_STRING_LIMITS.tag);
    const previous = s.inFlight.get(tag);
    if (previous) this.settle(s, tag, previous);
    const f: InFlight = { session: frame.session, command: verb, mailbox, key: this.key(s, mailbox), sentUs: frame.timeUs, seq: frame.seq, earlyHeard: new Set() };
    s.inFlight.set(tag, f);
    let same = this.inFlight.get(f.key);
    if (!same) this.inFlight.set(f.key, same = new Set());
    same.add(f);
  }

  /** A change command answered (or its session gone): no longer in flight. */
  private settle(s: SessionState, tag: string, f: InFlight): void {
    s.inFlight.delete(tag);
    const same = this.inFlight.get(f.key);
    same?.delete(f);
    if (same?.size === 0) this.inFlight.delete(f.key);
  }

  private forget(session: number): void {
    const s = this.sessions.get(session);
    if (!s) return;
    this.stopIdling(session, s);
    for (const [tag, f] of [...s.inFlight]) this.settle(s, tag, f);
    this.sessions.delete(session);
  }

  /** A change answered OK: who idles on its mailbox now must hear of it. */
  private changed(frame: Frame, f: InFlight): PushOutput['findings'] {
    const waiting = new Set<number>();
    const onMailbox = this.idlersByMailbox.get(f.key);
    for (const id of onMailbox ?? []) {
      if (id === frame.session || f.earlyHeard.has(id)) continue;
      waiting.add(id);
      if (waiting.size >= PUSH_LIMITS.listenersPerChange) break;
    }
    const source = this.sessions.get(frame.session);
    const idlingElsewhere: number[] = [];
    for (const id of (source && this.idlersByUser.get(this.userKey(source))) ?? []) {
      if (id !== frame.session && !onMailbox?.has(id)) idlingElsewhere.push(id);
      if (idlingElsewhere.length > 5) break;
    }
    const change: Change = { from: frame.session, command: f.command, mailbox: f.mailbox, key: f.key, okUs: frame.timeUs, okSeq: frame.seq, waiting, heard: f.earlyHeard.size };
    if (waiting.size > 0) {
      this.pending.push(change);
      if (this.pending.length > PUSH_LIMITS.pendingChanges) this.pending.shift();
      return [];
    }
    if (change.heard > 0 || idlingElsewhere.length === 0) return [];
    const msg = `${f.command} into ${f.mailbox} answered OK, but no session of this user idles on ${f.mailbox} `
      + `(${sessionList(idlingElsewhere)} ${idlingElsewhere.length === 1 ? 'idles' : 'idle'} on another mailbox): nobody is told`;
    return [{ session: frame.session, timeUs: frame.timeUs, finding: finding('push-unheard', msg, 'info') }];
  }

  /** An update in an idling session: the changes of other sessions on its mailbox it reports. */
  private update(frame: Frame, key: string): Annotation[] {
    const out: Annotation[] = [];
    const add = (detail: PushHeardDetail): void => {
      if (out.length < PUSH_LIMITS.annotationsPerUpdate) out.push(phase('push-heard', detail));
    };
    for (const c of this.pending) {
      if (c.key !== key || !c.waiting.delete(frame.session)) continue;
      c.heard += 1;
      add({ fromSession: c.from, fromSeq: c.okSeq, command: c.command, mailbox: c.mailbox, latencyUs: frame.timeUs - c.okUs, beforeOk: false });
    }
    this.pending = this.pending.filter((c) => c.waiting.size > 0);
    if (out.length > 0) return out;
    // The update may overtake the changing session's OK (the server commits, then answers).
    for (const f of this.inFlight.get(key) ?? []) {
      if (f.session === frame.session || f.earlyHeard.has(frame.session)) continue;
      f.earlyHeard.add(frame.session);
      add({ fromSession: f.session, fromSeq: f.seq, command: f.command, mailbox: f.mailbox, latencyUs: frame.timeUs - f.sentUs, beforeOk: true });
    }
    return out;
  }

  /** A session stopped idling (IDLE ended, or it closed): changes it alone was to hear are decided. */
  private stopListening(session: number, timeUs: number): PushOutput['findings'] {
    const s = this.sessions.get(session);
    if (s) this.stopIdling(session, s);
    if (this.pending.length === 0) return NOTHING.findings;
    const out: PushOutput['findings'] = [];
    for (const c of this.pending) {
      if (!c.waiting.delete(session) || c.waiting.size > 0 || c.heard > 0) continue;
      out.push(unheard(c, timeUs, `before session #${session} stopped idling`, new Set([session])));
    }
    this.pending = this.pending.filter((c) => c.waiting.size > 0);
    return out;
  }

  private startIdling(id: number, s: SessionState): void {
    if (s.idling) return;
    s.idling = true;
    s.idleMailboxKey = s.mailbox !== undefined ? this.key(s, s.mailbox) : undefined;
    s.idleUserKey = this.userKey(s);
    if (s.idleMailboxKey !== undefined) addTo(this.idlersByMailbox, s.idleMailboxKey, id);
    addTo(this.idlersByUser, s.idleUserKey, id);
  }

  private stopIdling(id: number, s: SessionState): void {
    if (!s.idling) return;
    s.idling = false;
    if (s.idleMailboxKey !== undefined) removeFrom(this.idlersByMailbox, s.idleMailboxKey, id);
    if (s.idleUserKey !== undefined) removeFrom(this.idlersByUser, s.idleUserKey, id);
    s.idleMailboxKey = undefined;
    s.idleUserKey = undefined;
  }

  private userKey(s: SessionState): string {
    return `${s.upstream}\u0000${s.user ?? ''}`;
  }

  private key(s: SessionState, mailbox: string): string {
    return `${s.upstream}\u0000${s.user ?? ''}\u0000${mailbox}`;
  }
}

/** `a` then `b`, without a new array when either is empty (the results are read, never changed). */
function joined<T>(a: T[], b: T[]): T[] {
  return b.length === 0 ? a : a.length === 0 ? b : [...a, ...b];
}

function unheard(c: Change, timeUs: number, when: string, listeners: ReadonlySet<number>): { session: number; timeUs: number; finding: Finding } {
  const msg = `${c.command} into ${c.mailbox} answered OK (frame ${c.okSeq}), but ${sessionList([...listeners])}, idling on ${c.mailbox}, got no update ${when}`;
  return { session: c.from, timeUs, finding: finding('push-unheard', msg) };
}

function sessionList(ids: readonly number[]): string {
  const shown = ids.slice(0, 5).map((id) => `#${id}`).join(', ');
  return ids.length > 5 ? `${shown} and more` : shown;
}

function addTo(index: Map<string, Set<number>>, key: string, id: number): void {
  let set = index.get(key);
  if (!set) index.set(key, set = new Set());
  set.add(id);
}

function removeFrom(index: Map<string, Set<number>>, key: string, id: number): void {
  const set = index.get(key);
  set?.delete(id);
  if (set?.size === 0) index.delete(key);
}

/** INBOX is case-insensitive (RFC 3501 5.1); other names are kept as sent. */
function mailboxName(name: string): string {
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}
