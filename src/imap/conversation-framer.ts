import { isScramServerFinalLine } from './sasl/scram-decoder';
import { finding as catalogFinding, type RuleCode } from './lint/rule-catalog';
import { DirectionFramer, DEFAULT_LIMITS, type FramerLimits, type LiteralGate, type RawSegment } from './direction-framer';
import type { Annotation, Direction, Frame, FrameKind, SecretSpan } from './frame';
import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import { classifyClientLine, classifyServerLine, isGreeting } from './line-syntax';
import { SecretArgumentTracker } from './secret-arguments';

/** Receives each frame as soon as it is complete. Return `'stop'` to pause at this byte boundary. */
export type FrameListener = (frame: Frame) => void | 'stop';

/** What the client framer expects next; a closed set, as imap-next's NextExpectedMessage. */
type ClientExpectation =
  | { kind: 'command' }
  /** Lines answering AUTHENTICATE challenges until the tagged response (RFC 3501 6.2.2). */
  | { kind: 'sasl'; tag: string };

interface CommandInProgress {
  tag: string;
  verb: string;
  secrets?: SecretArgumentTracker;
}

/** A synchronizing literal the client announced; its body may follow only the server's `+`. */
interface PendingSyncLiteral {
  tag: string;
  granted: boolean;
}

/**
 * Frames both directions of one IMAP connection and applies the rules that span them:
 * - a client's synchronizing literal follows only the server's `+`, and a tagged NO/BAD in its
 *   place cancels it (RFC 3501 2.2.1, the `A044 BLURDYBLOOP {102856}` example);
 * - client lines after an AUTHENTICATE are SASL data until its tagged response, `*` cancels;
 * - the server's first line is the greeting.
 * Pure: bytes and times in, frames out. It never throws on bad input; unparsable lines become
 * `unparsed` frames and framing resumes at the next line.
 */
export class ConversationFramer {
  private readonly client: DirectionFramer;
  private readonly server: DirectionFramer;
  private seq = 0;
  private greetingSeen = false;
  private expectation: ClientExpectation = { kind: 'command' };
  private command: CommandInProgress | undefined;
  private pendingSync: PendingSyncLiteral | undefined;
  private pendingClientNotes: Annotation[] = [];
  /**
   * An AUTHENTICATE just ended (its tagged response came): client lines that are not commands
   * may still be SASL responses the client sent late (after a NO it did not wait for), so they
   * are masked until the next command.
   */
  private saslJustEnded = false;
  /** What the last server frame was, for the rest of one cut by SEGMENT_BOUNDS. */
  private lastServer: { readonly kind: FrameKind; readonly verb: string | undefined } = NOT_UNTAGGED;

  constructor(
    readonly session: number,
    private readonly listener: FrameListener,
    limits: FramerLimits = DEFAULT_LIMITS,
  ) {
    this.client = new DirectionFramer('client', {
      gateLiteral: (a): LiteralGate => (a.form === 'sync' ? 'sync' : 'inline'),
      literalBodyStarts: () => this.onClientLiteralBody(),
      segment: (s) => this.onClientSegment(s),
    }, limits);
    // Server literals never wait for anything (RFC 3501 7.5 concerns only the client).
    this.server = new DirectionFramer('server', {
      gateLiteral: () => 'inline',
      segment: (s) => this.onServerSegment(s),
    }, limits);
  }

  /** Feed bytes from one direction. Returns how many were consumed (see DirectionFramer.push). */
  push(direction: Direction, chunk: Buffer, timeUs: number): number {
    return (direction === 'client' ? this.client : this.server).push(chunk, timeUs);
  }

  private onClientLiteralBody(): void {
    const pending = this.pendingSync;
    if (!pending) return;
    this.pendingSync = undefined;
    if (pending.granted) return;
    this.pendingClientNotes.push(finding('sync-literal-before-continuation',
      `literal body of ${pending.tag} sent before the server's "+" continuation request`));
  }

  /** The given direction's byte stream ended: flush what is partial. */
  end(direction: Direction, timeUs: number): void {
    (direction === 'client' ? this.client : this.server).end(timeUs);
  }

  /** Offset of the next byte in a direction's stream. */
  offset(direction: Direction): number {
    return (direction === 'client' ? this.client : this.server).offset;
  }

  /** Body bytes still to come of the literal a direction is inside (0 outside a literal). */
  literalRemaining(direction: Direction): number {
    return (direction === 'client' ? this.client : this.server).literalRemaining;
  }

  /** Frames emitted so far. */
  get frameCount(): number {
    return this.seq;
  }

  private onClientSegment(s: RawSegment): void | 'stop' {
    let kind: FrameKind;
    let tag: string | undefined;
    let verb: string | undefined;
    let secrets: SecretSpan[] = [];
    const annotations = this.pendingClientNotes;
    this.pendingClientNotes = [];
    const first = s.parts[0];
    const firstText = first?.type === 'line' ? first.line.text : '';
    if ((s.continuesSyncLiteral || s.continuesCut) && this.command) {
      kind = 'command-continuation';
      ({ tag, verb } = this.command);
      secrets = this.command.secrets?.spans(s.parts, 0) ?? [];
    } else if (this.expectation.kind === 'sasl' && first?.type === 'line') {
      kind = 'sasl';
      tag = this.expectation.tag;
      if (firstText === '*') annotations.push({ kind: 'note', text: 'SASL exchange cancelled by the client' });
      else secrets = [{ part: 0, start: 0, end: firstText.length }];
    } else {
      const line = classifyClientLine(firstText);
      if (line.kind === 'command') {
        kind = 'command';
        ({ tag, verb } = line);
        // Kept until the next command: stored bounded and copied, not as a slice of a 64 KiB line.
        this.command = { tag: boundedCopy(line.tag, STORED_STRING_LIMITS.tag), verb: boundedCopy(line.verb, STORED_STRING_LIMITS.verb),
          secrets: SecretArgumentTracker.forVerb(line.verb) };
        secrets = this.command.secrets?.spans(s.parts, line.argsStart) ?? [];
        if (line.verb === 'AUTHENTICATE') this.expectation = { kind: 'sasl', tag: line.tag };
        this.saslJustEnded = false;
      } else {
        kind = line.kind;
        this.command = undefined;
        if (this.saslJustEnded && line.kind === 'unparsed') {
          secrets = [{ part: 0, start: 0, end: firstText.length }];
          annotations.push({ kind: 'note', text: 'masked: may be a SASL response sent after the AUTHENTICATE ended' });
        }
      }
    }
    this.pendingSync = s.awaitsContinuation && tag !== undefined ? { tag, granted: false } : undefined;
    return this.emit(s, kind, tag, verb, secrets, annotations);
  }

  private onServerSegment(s: RawSegment): void | 'stop' {
    const first = s.parts[0];
    if (s.continuesCut) return this.emit(s, this.lastServer.kind, undefined, this.lastServer.verb, [], []);
    const line = classifyServerLine(first?.type === 'line' ? first.line.text : '');
    // The server answered a command the client is still sending (a LITERAL+ body, RFC 7888): the
    // part of the command sent so far becomes a frame first, so pairing knows the tag and every
    // view shows the command before its answer. The rest follows as a command-continuation.
    if (line.kind === 'tagged' && this.clientCommandTag() === line.tag) this.client.cutSegment();
    const annotations: Annotation[] = [];
    let kind: FrameKind = line.kind;
    if (!this.greetingSeen) {
      this.greetingSeen = true;
      if (isGreeting(line)) kind = 'greeting';
      else annotations.push(finding('bad-greeting', 'the first server line is not a greeting (* OK, * PREAUTH or * BYE)'));
    }
    if (line.kind === 'continuation' && this.pendingSync) this.pendingSync.granted = true;
    if (line.kind === 'tagged') {
      const pending = this.pendingSync;
      // RFC 3501 2.2.1 names NO/BAD; any tagged response ends the command, so an OK (a server bug)
      // cancels the literal too: the client will not send a body nobody asked for.
      if (pending && !pending.granted && pending.tag === line.tag && this.client.cancelPendingLiteral()) {
        this.pendingSync = undefined;
        annotations.push({ kind: 'note', text: `synchronizing literal of ${line.tag} cancelled by the tagged ${line.verb}` });
      }
      if (this.expectation.kind === 'sasl' && this.expectation.tag === line.tag) {
        this.expectation = { kind: 'command' };
        this.saslJustEnded = true;
      }
    }
    const tag = line.kind === 'tagged' ? line.tag : undefined;
    const verb = line.kind === 'tagged' || line.kind === 'untagged' ? line.verb : undefined;
    // A response cut by SEGMENT_BOUNDS goes on as the same kind of frame; a tagged one only once.
    this.lastServer = kind === 'untagged' ? { kind, verb: verb === undefined ? undefined : boundedCopy(verb, STORED_STRING_LIMITS.verb) } : NOT_UNTAGGED;
    // A SCRAM server-final (`+ v=...` in base64) proves the password: masked like the client's proof.
    const text = first?.type === 'line' ? first.line.text : '';
    const secrets: SecretSpan[] = line.kind === 'continuation' && this.expectation.kind === 'sasl' && isScramServerFinalLine(text.slice(2))
      ? [{ part: 0, start: 2, end: text.length }] : [];
    return this.emit(s, kind, tag, verb, secrets, annotations);
  }

  /** The tag of the command the client is sending right now, once its first line is complete. */
  private clientCommandTag(): string | undefined {
    const head = this.client.openHead;
    if (!head) return undefined;
    if (head.continues) return this.command?.tag;
    if (this.expectation.kind === 'sasl') return undefined;
    const line = classifyClientLine(head.line.text);
    return line.kind === 'command' ? line.tag : undefined;
  }

  private emit(s: RawSegment, kind: FrameKind, tag: string | undefined, verb: string | undefined,
    secrets: SecretSpan[], annotations: Annotation[]): void | 'stop' {
    this.seq += 1;
    const frame: Frame = {
      session: this.session,
      seq: this.seq,
      direction: s.direction,
      kind,
      timeUs: s.startUs,
      endUs: s.endUs,
      offset: s.offset,
      length: s.length,
      parts: s.parts,
      secrets,
      annotations,
    };
    if (tag !== undefined) frame.tag = tag;
    if (verb !== undefined) frame.verb = verb;
    return this.listener(frame);
  }
}

/** What a cut response that was not untagged goes on as (one object: set for every server frame). */
const NOT_UNTAGGED = Object.freeze({ kind: 'unparsed' as FrameKind, verb: undefined });

function finding(code: RuleCode, message: string): Annotation {
  return { kind: 'finding', finding: catalogFinding(code, message) };
}
