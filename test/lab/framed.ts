import { ConversationFramer } from '../../src/imap/conversation-framer';
import type { Direction, Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import { modelSteps } from '../imap/session-harness';
import { rechunk, type TranscriptStep } from '../imap/transcript';

/** A frame with the bytes it was made of. */
export interface FramedBytes {
  frame: Frame;
  bytes: Buffer;
}

/** Frames of a dialog from the real session model (framer and default annotators), each with its bytes. */
export function framesWithBytes(steps: TranscriptStep[]): FramedBytes[] {
  const stream: Record<Direction, Buffer> = {
    client: Buffer.concat(steps.filter((s) => s.direction === 'client').map((s) => s.bytes)),
    server: Buffer.concat(steps.filter((s) => s.direction === 'server').map((s) => s.bytes)),
  };
  return modelSteps(rechunk(steps, () => [])).frames.map((frame) => ({
    frame,
    bytes: stream[frame.direction].subarray(frame.offset, frame.offset + frame.length),
  }));
}

/** The first frame that passes the test. */
export function frameWhere(framed: FramedBytes[], test: (f: Frame) => boolean): FramedBytes {
  const found = framed.find((f) => test(f.frame));
  if (!found) throw new Error('no such frame');
  return found;
}

/**
 * Frame bytes again with a fresh framer of the conversation (server bytes after a greeting, so
 * that the first frame is not taken for one): the frames they make, and whether every byte went
 * into a complete frame with whole literals (or a client frame waiting for `+` at its end).
 */
export function reframe(direction: Direction, bytes: Buffer): { frames: Frame[]; complete: boolean } {
  const frames: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { frames.push(f); });
  if (direction === 'server') framer.push('server', Buffer.from('* OK ready\r\n'), 0);
  frames.length = 0;
  const consumed = framer.push(direction, bytes, 1);
  const covered = frames.reduce((n, f) => n + f.length, 0);
  const literalsWhole = frames.every((f) => f.parts.every((p) => p.type !== 'literal' || p.literal.received === p.literal.size));
  return { frames, complete: consumed === bytes.length && covered === bytes.length && literalsWhole };
}

/** A frame's notation, secrets revealed (what a test compares). */
export function notationOf(frame: Frame): string {
  return frameText(frame, { revealSecrets: true });
}
