import { defaultAnnotators } from '../../src/imap/default-annotators';
import type { Finding, Frame } from '../../src/imap/frame';
import { SessionModel } from '../../src/imap/session-model';
import { frameEverySplit } from './framing-harness';
import { rechunk, sameAtEverySplit, type TranscriptStep } from './transcript';

/** What the full session model (framer, pairing, default annotators) made of a dialog. */
export interface ModelRun {
  frames: Frame[];
  /** Findings about the session rather than one frame (reported at its end). */
  sessionFindings: Finding[];
}

/** Run chunked steps through SessionModel with the default annotators; step i happens at `timeOf(i)` µs. */
export function modelSteps(chunked: TranscriptStep[][], timeOf: (step: number) => number = (i) => i): ModelRun {
  const run: ModelRun = { frames: [], sessionFindings: [] };
  const model = new SessionModel(1, {
    frame: (f) => run.frames.push(f),
    finding: (f) => run.sessionFindings.push(f),
  }, defaultAnnotators());
  chunked.forEach((chunks, index) => {
    for (const c of chunks) model.push(c.direction, c.bytes, timeOf(index));
  });
  const end = timeOf(chunked.length);
  model.endDirection('client', end);
  model.endDirection('server', end);
  model.end(end);
  return run;
}

/**
 * Like frameEverySplit, for the whole model: the dialog whole, then split at every offset, byte by
 * byte and at random, must give the same frames, annotations and session findings every time.
 */
export function modelEverySplit(steps: TranscriptStep[], timeOf?: (step: number) => number): ModelRun {
  frameEverySplit(steps);
  const whole = modelSteps(rechunk(steps, () => []), timeOf);
  sameAtEverySplit(steps, (chunked) => JSON.stringify(modelSteps(chunked, timeOf)), 'model output', 10);
  return whole;
}

/** The phase names on a frame, in order. */
export function phases(frame: Frame): string[] {
  return frame.annotations.flatMap((a) => (a.kind === 'phase' ? [a.phase] : []));
}

/** The detail of the named phase on a frame. */
export function phaseDetail(frame: Frame, name: string): Record<string, string | number | boolean> | undefined {
  for (const a of frame.annotations) if (a.kind === 'phase' && a.phase === name) return a.detail ?? {};
  return undefined;
}

/** The finding codes on a frame. */
export function codes(frame: Frame): string[] {
  return frame.annotations.flatMap((a) => (a.kind === 'finding' ? [a.finding.code] : []));
}

/** Every finding of a run (frames and session), as `code@i` with i the index in `frames` (`code@end` for session findings). */
export function allFindings(run: ModelRun): string[] {
  return [
    ...run.frames.flatMap((f, i) => codes(f).map((c) => `${c}@${i}`)),
    ...run.sessionFindings.map((f) => `${f.code}@end`),
  ];
}

/** The finding with a code on a frame. */
export function findingOn(frame: Frame, code: string): Finding | undefined {
  for (const a of frame.annotations) if (a.kind === 'finding' && a.finding.code === code) return a.finding;
  return undefined;
}
