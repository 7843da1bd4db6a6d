// Reads the frames of a capture, reframed from its bytes, in a form two captures can be compared by.
import { readCapture } from '../../src/capture/capture-reader';
import { Reframer } from '../../src/capture/reframer';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';

/** What must survive an export/import round trip: everything but the end time and annotations. */
export interface ComparableFrame {
  session: number;
  direction: string;
  kind: string;
  tag?: string;
  verb?: string;
  offset: number;
  length: number;
  text: string;
  timeUs?: number;
}

export async function framesOf(path: string, withTimes: boolean): Promise<ComparableFrame[]> {
  const frames: Frame[] = [];
  const reframer = new Reframer({ handle: (e) => { if (e.type === 'frame') frames.push(e.frame); } });
  await readCapture(path, (e) => reframer.handle(e));
  return frames.map((f) => ({
    session: f.session, direction: f.direction, kind: f.kind, tag: f.tag, verb: f.verb, offset: f.offset, length: f.length,
    text: frameText(f, { revealSecrets: true }), ...(withTimes ? { timeUs: f.timeUs } : {}),
  }));
}
