import { CommandPairing } from './command-pairing';
import { ConversationFramer } from './conversation-framer';
import type { FramerLimits } from './direction-framer';
import type { Annotation, Direction, Finding, Frame } from './frame';

/**
 * A tracker that watches a session's frames and annotates them (IDLE phases, capabilities, lint).
 * Trackers see every frame in order, after pairing, and must not throw.
 */
export interface FrameAnnotator {
  /** Readonly: annotators run for every frame and may return a shared empty array (NO_ANNOTATIONS). */
  observe(frame: Frame): readonly Annotation[];
  /** The session ended: findings about what was left open. */
  end?(timeUs: number): Finding[];
  /** The server leg is TLS from here on without a STARTTLS in the conversation (implicit TLS, imapdbg's own STARTTLS). */
  tlsStarted?(): void;
  /** The command with this tag never reached the server (SessionModel.forgetCommand): stop waiting for its answer. */
  forgetCommand?(tag: string): void;
}

/** Where the model sends what it learns. */
export interface SessionModelOutput {
  frame(frame: Frame): void;
  finding(finding: Finding, timeUs: number): void;
}

/**
 * The session state machine of one connection: framing, pairing and the annotators, in that
 * order, with no I/O. The proxy feeds it live bytes, the capture reader feeds it recorded ones.
 *
 * Framing and pairing run as bytes arrive (a layer boundary depends on them); the annotators and
 * the output run in `publish()`, which the proxy calls after it has forwarded the bytes, so that
 * lint, trackers, the headless view and the capture never delay a byte on its way.
 */
export class SessionModel {
  private readonly framer: ConversationFramer;
  private readonly pairing = new CommandPairing();
  /** Set by the owner to stop consuming at a frame (the byte boundary of STARTTLS or COMPRESS). */
  boundary: ((frame: Frame) => boolean) | undefined;
  /** Framed and paired, not yet annotated and published. */
  private queued: Frame[] = [];
  /** An empty array for the next queue, reused at each publish (it runs per chunk); none while one runs. */
  private spare: Frame[] | undefined = [];
  /** Tags to forget in the annotators once the frames queued now (their commands among them) are published. */
  private forgetAfterPublish: string[] = [];

  constructor(
    readonly session: number,
    private readonly output: SessionModelOutput,
    private readonly annotators: FrameAnnotator[] = [],
    limits?: FramerLimits,
  ) {
    this.framer = new ConversationFramer(session, (frame) => this.onFrame(frame), limits);
  }

  /** Feed bytes and publish what they complete; returns how many were consumed (less than all only at a boundary). */
  push(direction: Direction, chunk: Buffer, timeUs: number): number {
    const consumed = this.frameOnly(direction, chunk, timeUs);
    this.publish();
    return consumed;
  }

  /** Feed bytes, framing and pairing only; the frames wait for `publish()`. */
  frameOnly(direction: Direction, chunk: Buffer, timeUs: number): number {
    return this.framer.push(direction, chunk, timeUs);
  }

  /** Annotate and output the frames completed so far, in order. */
  publish(): void {
    const frames = this.queued;
    if (frames.length === 0) return;
    // A publish nested in this one (a sink that feeds the model) gets an array of its own.
    this.queued = this.spare ?? [];
    this.spare = undefined;
    // Indexed loops: this runs for every frame, and for-of's iterators showed in its garbage.
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      for (let j = 0; j < this.annotators.length; j++) {
        const found = this.annotators[j].observe(frame);
        for (let k = 0; k < found.length; k++) frame.annotations.push(found[k]);
      }
      this.output.frame(frame);
    }
    frames.length = 0;
    this.spare = frames;
    if (this.forgetAfterPublish.length > 0) for (const tag of this.forgetAfterPublish.splice(0)) this.forgetInAnnotators(tag);
  }

  /**
   * imapdbg dropped the client command with this tag (a rule, the intercept, a script): the server
   * never received it, so nothing may blame the server for not answering it. Pairing stops waiting
   * for it now; the annotators (lint's commands in progress, the IDLE tracker) once the command's
   * frame is published, so they see the command and then forget it. The executor calls this when it
   * carries out a `drop` verdict on a client frame of kind `command`, with that frame's tag.
   */
  forgetCommand(tag: string): void {
    this.pairing.forget(tag);
    if (this.queued.length > 0) this.forgetAfterPublish.push(tag);
    else this.forgetInAnnotators(tag);
  }

  /**
   * imapdbg itself sent the server a command with this tag (an `inject` toward the server): its
   * tagged response is annotated as answering imapdbg instead of being an unknown tag.
   */
  injectedCommand(tag: string): void {
    this.pairing.expectInjected(tag);
  }

  private forgetInAnnotators(tag: string): void {
    for (const a of this.annotators) a.forgetCommand?.(tag);
  }

  /** Body bytes still to come of the literal a direction is inside (0 outside a literal). */
  literalRemaining(direction: Direction): number {
    return this.framer.literalRemaining(direction);
  }

  /** One direction ended. */
  endDirection(direction: Direction, timeUs: number): void {
    this.framer.end(direction, timeUs);
    this.publish();
  }

  /** The server leg is TLS from here on (a `tls` event for the server leg). */
  tlsStarted(): void {
    for (const a of this.annotators) a.tlsStarted?.();
  }

  /** Both directions ended: let the annotators report what was left open. */
  end(timeUs: number): void {
    this.publish();
    for (const f of this.pairing.end()) this.output.finding(f, timeUs);
    for (const a of this.annotators) for (const f of a.end?.(timeUs) ?? []) this.output.finding(f, timeUs);
  }

  /** Offset of the next byte in a direction's framed stream. */
  offset(direction: Direction): number {
    return this.framer.offset(direction);
  }

  get frameCount(): number {
    return this.framer.frameCount;
  }

  /** Commands waiting for their tagged response. */
  get pendingCommands(): number {
    return this.pairing.pendingCount;
  }

  private onFrame(frame: Frame): void | 'stop' {
    const paired = this.pairing.observe(frame);
    for (let i = 0; i < paired.length; i++) frame.annotations.push(paired[i]);
    this.queued.push(frame);
    return this.boundary?.(frame) ? 'stop' : undefined;
  }
}
