import { ConversationFramer } from '../../src/imap/conversation-framer';
import type { FramerLimits } from '../../src/imap/direction-framer';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import { rechunk, sameAtEverySplit, type TranscriptStep } from './transcript';

/** Run steps (each possibly chunked) through a fresh framer; time = step index, so chunking never shows. */
export function frameSteps(chunked: TranscriptStep[][], limits?: FramerLimits, end = true): Frame[] {
  const frames: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { frames.push(f); }, limits);
  chunked.forEach((chunks, index) => {
    for (const c of chunks) framer.push(c.direction, c.bytes, index);
  });
  if (end) {
    framer.end('client', chunked.length);
    framer.end('server', chunked.length);
  }
  return frames;
}

/** `C: text` / `S: text` lines for frames, secrets revealed (to compare structure, not masking). */
export function notation(frames: Frame[]): string[] {
  return frames.map((f) => `${f.direction === 'client' ? 'C' : 'S'}: ${frameText(f, { revealSecrets: true })}`);
}

/**
 * Frame the steps whole, then split at every offset of every step, byte by byte, and at random,
 * and require identical frames each time. Returns the frames of the whole run.
 */
export function frameEverySplit(steps: TranscriptStep[], limits?: FramerLimits): Frame[] {
  const whole = frameSteps(rechunk(steps, () => []), limits);
  sameAtEverySplit(steps, (chunked) => JSON.stringify(frameSteps(chunked, limits)), 'frames');
  // TCP may also coalesce writes: merge consecutive writes of one peer (times then differ, nothing else).
  const merged: TranscriptStep[] = [];
  for (const step of steps) {
    const last = merged[merged.length - 1];
    if (last && last.direction === step.direction) last.bytes = Buffer.concat([last.bytes, step.bytes]);
    else merged.push({ direction: step.direction, bytes: step.bytes });
  }
  const timeless = (frames: Frame[]): string => JSON.stringify(frames.map((f) => ({ ...f, timeUs: 0, endUs: 0 })));
  if (timeless(frameSteps(rechunk(merged, () => []), limits)) !== timeless(whole)) {
    throw new Error('frames differ when consecutive writes of one peer are coalesced');
  }
  return whole;
}
