import type { Direction } from '../imap/frame';
import { eventLine } from '../imap/notation';
import type { ProxyEvent } from '../imap/events';
import { readCapture, type CaptureReadResult } from './capture-reader';
import { Reframer } from './reframer';
import { frameJson } from './frame-json';

/** Where export output goes; returns false when the consumer wants a pause (backpressure). */
export type ExportWrite = (chunk: string | Buffer) => void | Promise<void>;

export interface TextExportOptions {
  revealSecrets: boolean;
  utc: boolean;
}

/**
 * The capture's events; with `revealSecrets`, frames re-derived from the raw bytes, because the
 * recorded frames have their secrets overwritten (record-encoding.ts).
 */
export function readCaptureEvents(path: string, revealSecrets: boolean, onEvent: (event: ProxyEvent) => void | Promise<void>): Promise<CaptureReadResult> {
  if (!revealSecrets) return readCapture(path, onEvent);
  const derived: ProxyEvent[] = [];
  const reframer = new Reframer({ handle: (e) => { derived.push(e); } });
  return readCapture(path, async (event) => {
    reframer.handle(event);
    for (const e of derived.splice(0)) await onEvent(e);
  });
}

/** The capture in the RFCs' C:/S: notation, one line per frame and per session start and end. */
export function exportText(path: string, write: ExportWrite, options: TextExportOptions): Promise<CaptureReadResult> {
  return readCaptureEvents(path, options.revealSecrets, async (event) => {
    const line = eventLine(event, options);
    if (line !== undefined) await write(`${line}\n`);
  });
}

/** One JSON object per frame. */
export function exportJson(path: string, write: ExportWrite, revealSecrets: boolean): Promise<CaptureReadResult> {
  return readCaptureEvents(path, revealSecrets, async (event) => {
    if (event.type === 'frame') await write(`${JSON.stringify(frameJson(event.frame, revealSecrets))}\n`);
  });
}

/** The exact bytes one direction of one session carried (wire layer: what the peer sent, after TLS). */
export async function exportRaw(path: string, write: ExportWrite, session: number, direction: Direction,
  layer: 'wire' | 'inflated' = 'wire'): Promise<CaptureReadResult & { sessions: number[] }> {
  const sessions = new Set<number>();
  const result = await readCapture(path, async (event) => {
    if (event.type === 'session-open') sessions.add(event.session.id);
    if (event.type === 'data' && event.session === session && event.direction === direction && event.layer === layer) {
      await write(event.bytes);
    }
  });
  return { ...result, sessions: [...sessions] };
}
