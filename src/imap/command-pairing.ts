import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import type { Annotation, Finding, Frame } from './frame';
import { finding } from './lint/rule-catalog';
import { OldestFirstTable } from './oldest-first-table';

interface PendingCommand {
  seq: number;
  verb: string;
  /** When the client finished sending the command (its last segment). */
  sentUs: number;
}

/**
 * Commands waiting for their tagged response that pairing remembers at once. Pipelining clients
 * keep a few dozen in flight; a client that pipelines millions to a server that never answers must
 * not grow the proxy, so past this the oldest is forgotten (and counted).
 */
export const MAX_PENDING_COMMANDS = 10_000;
/** Tags of commands imapdbg sent itself that pairing remembers while it waits for their responses. */
const MAX_INJECTED_TAGS = 1000;

/**
 * Pairs each tagged response with its command (RFC 3501 2.2.2) and measures the latency from the
 * command's last byte to the response's first byte, in microseconds. Bounded: at most
 * `maxPending` commands are remembered, tags and verbs are stored cut to a bounded length.
 */
export class CommandPairing {
  private readonly pending = new OldestFirstTable<PendingCommand>();
  private forgotten = 0;
  /** Tags of commands imapdbg itself sent to the server (rules, scripts), awaiting their tagged response. */
  private readonly injected = new Set<string>();

  constructor(private readonly maxPending = MAX_PENDING_COMMANDS) {}

  /** How many commands wait for their tagged response. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Commands dropped from the table before their response because it was full. */
  get forgottenCount(): number {
    return this.forgotten;
  }

  /** Observe a frame; returns the annotations it earns. */
  observe(frame: Frame): Annotation[] {
    if (frame.direction === 'client') {
      if (frame.tag === undefined) return [];
      const tag = boundedCopy(frame.tag, STORED_STRING_LIMITS.tag);
      if (frame.kind === 'command') return this.command(frame, tag);
      if (frame.kind === 'command-continuation' || frame.kind === 'sasl') {
        const p = this.pending.get(tag);
        if (p) p.sentUs = frame.endUs;
      }
      return [];
    }
    if (frame.kind !== 'tagged' || frame.tag === undefined) return [];
    const tag = frame.tag.length > STORED_STRING_LIMITS.tag ? boundedCopy(frame.tag, STORED_STRING_LIMITS.tag) : frame.tag;
    const p = this.pending.delete(tag);
    if (!p && this.injected.delete(tag)) {
      return [{ kind: 'note', text: `answers ${tag}, a command imapdbg sent to the server itself (the client never sent it)` }];
    }
    if (!p) {
      if (this.forgotten > 0) {
        return [{ kind: 'finding', finding: finding('unknown-tag',
          `tagged response for ${tag}, which no pending command carries (perhaps one of the ${this.forgotten} commands forgotten unanswered)`, 'info') }];
      }
      return [{ kind: 'finding', finding: finding('unknown-tag', `tagged response for ${tag}, which no pending command carries`) }];
    }
    return [{ kind: 'pair', commandSeq: p.seq, command: p.verb, latencyUs: Math.max(0, frame.timeUs - p.sentUs) }];
  }

  /**
   * The command with this tag never reached the server (imapdbg dropped it): no response is
   * awaited, and a later response with that tag is the server's answer to something else.
   */
  forget(tag: string): void {
    this.pending.delete(boundedCopy(tag, STORED_STRING_LIMITS.tag));
  }

  /** imapdbg itself sent the server a command with this tag: its tagged response answers imapdbg, not the client. */
  expectInjected(tag: string): void {
    if (this.injected.size >= MAX_INJECTED_TAGS) this.injected.delete(this.injected.values().next().value as string);
    this.injected.add(boundedCopy(tag, STORED_STRING_LIMITS.tag));
  }

  /** The session ended: how many commands were forgotten unanswered, if any. */
  end(): Finding[] {
    if (this.forgotten === 0) return [];
    return [finding('pending-commands-forgotten',
      `${this.forgotten} commands forgotten unanswered: more than ${this.maxPending} waited for a response at once, so the oldest were dropped from pairing`)];
  }

  private command(frame: Frame, tag: string): Annotation[] {
    const out: Annotation[] = [];
    const reused = this.pending.get(tag);
    if (reused) {
      this.pending.delete(tag);
      out.push({ kind: 'finding', finding: finding('tag-reused', `tag ${tag} reused while command ${reused.verb} (frame ${reused.seq}) is still pending`) });
    } else if (this.pending.size >= this.maxPending) {
      const oldestTag = this.pending.oldest as string;
      const oldest = this.pending.delete(oldestTag) as PendingCommand;
      this.forgotten += 1;
      if (this.forgotten === 1) {
        out.push({ kind: 'finding', finding: finding('pending-commands-forgotten',
          `more than ${this.maxPending} commands wait for a response: the oldest (${oldestTag} ${oldest.verb}, frame ${oldest.seq}) is forgotten, and so will be each further one; the total comes at the session's end`) });
      }
    }
    this.pending.set(tag, { seq: frame.seq, verb: boundedCopy(frame.verb ?? '', STORED_STRING_LIMITS.verb), sentUs: frame.endUs });
    return out;
  }
}
