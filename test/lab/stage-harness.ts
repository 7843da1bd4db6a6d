import type { Direction, Frame } from '../../src/imap/frame';
import { ConversationFramer } from '../../src/imap/conversation-framer';
import { IdleTracker } from '../../src/imap/idle-tracker';
import type { FrameStage, SessionCommand, StageResult } from '../../src/lab/frame-stage';
import { frameText } from '../../src/imap/frame-text';
import { transcript } from '../imap/transcript';

/** One frame as a stage saw it, and what the stage said. */
export interface StagedFrame {
  frame: Frame;
  /** `C: text` / `S: text`. */
  line: string;
  result: StageResult;
}

export interface StageRun {
  frames: StagedFrame[];
  /** What the stage emitted on its own (session open, async hooks), in order. */
  emitted: SessionCommand[];
}

/**
 * Feed a dialog in the RFCs' notation through the real framer and a stage, as the proxy's
 * executor would: the session opens, every frame of both directions goes to `onFrame` with its
 * bytes as read and whether it lies in an IDLE period, then the session closes.
 */
export function runStage(stage: FrameStage, dialog: string, session = 1): StageRun {
  const run: StageRun = { frames: [], emitted: [] };
  stage.onSessionOpen?.(session, (commands) => run.emitted.push(...commands));
  const streams: Record<Direction, Buffer[]> = { client: [], server: [] };
  const idle = new IdleTracker();
  const framer = new ConversationFramer(session, (frame) => {
    const stream = Buffer.concat(streams[frame.direction]);
    const bytes = stream.subarray(frame.offset, frame.offset + frame.length);
    const phases = idle.observe(frame);
    // As the session model does before the executor sees a frame: the IDLE phases ride on it.
    for (const a of phases) frame.annotations.push(a);
    const inIdle = idle.phase.kind !== 'none' || phases.some((a) => a.kind === 'phase' && a.phase === 'idle-ended');
    const result = stage.onFrame(frame, bytes, { session, inIdle, text: () => frameText(frame, { revealSecrets: false }) });
    run.frames.push({ frame, line: `${frame.direction === 'client' ? 'C' : 'S'}: ${frameText(frame, { revealSecrets: true })}`, result });
  });
  for (const step of transcript(dialog)) {
    streams[step.direction].push(step.bytes);
    framer.push(step.direction, step.bytes, 0);
  }
  framer.end('client', 0);
  framer.end('server', 0);
  stage.onSessionClose?.(session);
  return run;
}

/** The verdict kinds in frame order, as `S: * 2 EXISTS -> drop`, for frames that were not simply forwarded. */
export function changed(run: StageRun): string[] {
  return run.frames.filter((f) => f.result.verdict.kind !== 'forward').map((f) => `${f.line} -> ${f.result.verdict.kind}`);
}

/** The commands of every frame's result, in order. */
export function frameCommands(run: StageRun): SessionCommand[] {
  return run.frames.flatMap((f) => f.result.commands ?? []);
}
