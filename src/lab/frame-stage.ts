import type { Direction, Frame } from '../imap/frame';
import type { ChangeSource } from '../imap/intervention';

/**
 * What a stage wants done with one complete frame of a gated direction. The executor in
 * proxy-session carries it out; stages never touch sockets.
 */
export type FrameVerdict =
  | { kind: 'forward' }
  /** Deliver these bytes instead of the frame's. */
  | {
    kind: 'replace'; bytes: Buffer; source: ChangeSource; action: 'replace' | 'hide-capability' | 'edit'; detail: string;
    /** When several rules changed the bytes together (rewrites compose): all of them in order, `source` first. */
    contributors?: ChangeSource[];
  }
  | { kind: 'drop'; source: ChangeSource; detail: string }
  | { kind: 'delay'; ms: number; source: ChangeSource; detail: string }
  /** Deliver in pieces and/or at a rate. */
  | { kind: 'pace'; sliceBytes?: number; bytesPerSecond?: number; source: ChangeSource; detail: string }
  /** Hold until the promise settles with the final verdict (the TUI's intercept). */
  | { kind: 'hold'; until: Promise<FrameVerdict>; source: ChangeSource; detail: string };

/** Something a stage asks for beyond one frame's fate. */
export type SessionCommand =
  | { kind: 'inject'; toward: Direction; bytes: Buffer; source: ChangeSource; detail: string }
  | { kind: 'blackhole'; source: ChangeSource; detail: string }
  | { kind: 'reset'; side: Direction | 'both'; source: ChangeSource; detail: string }
  | { kind: 'close'; side: Direction | 'both'; source: ChangeSource; detail: string }
  /**
   * Nothing to carry out: record an intervention with this action (a script hook that threw or
   * returned something that is not an action, its frame forwarded unchanged). `toward` is the peer
   * that receives the frame concerned (the client for a session hook).
   */
  | { kind: 'report'; action: 'hook-error'; toward: Direction; frameSeq?: number; source: ChangeSource; detail: string };

/** What the stage sees besides the frame. */
export interface StageContext {
  readonly session: number;
  /** The frame lies in an IDLE period (from `tag IDLE` to its tagged response). */
  readonly inIdle: boolean;
  /** The frame as one line of text, secrets masked as displayed (for text filters). */
  text(): string;
}

/** A frame's verdict and any session commands, carried out in that order. */
export interface StageResult {
  verdict: FrameVerdict;
  commands?: SessionCommand[];
}

/**
 * One stage of a session's pipeline (rules, intercept, scripts). It sees each complete frame of a
 * gated direction with the frame's bytes as read, and says what to do. Stages run in order; the
 * first verdict that is not `forward` wins, and every stage's commands are carried out.
 */
export interface FrameStage {
  onFrame(frame: Frame, bytes: Buffer, context: StageContext): StageResult;
  /** Commands to carry out when the session opens (timers are started by the stage itself through `emit`). */
  onSessionOpen?(session: number, emit: (commands: SessionCommand[]) => void): void;
  onSessionClose?(session: number): void;
}
