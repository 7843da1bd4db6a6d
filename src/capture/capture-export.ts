import type { Direction } from '../imap/frame';
import { eventLine } from '../imap/notation';
import type { DataLayer, ProxyEvent } from '../imap/events';
import { readCapture, type CaptureReadResult } from './capture-reader';
import type { ReadProgress } from './capture-error';
import { captureFormatOf } from './pcapng/capture-format-sniffer';
import { Reframer } from './reframer';
import { frameJson } from './frame-json';

/** Where export output goes; returns false when the consumer wants a pause (backpressure). */
export type ExportWrite = (chunk: string | Buffer) => void | Promise<void>;

export interface TextExportOptions {
  revealSecrets: boolean;
  utc: boolean;
  /** Only this session (a pcapng capture's index lets the reader seek to it). */
  session?: number;
  onProgress?: ReadProgress;
}

/** How a command wants a capture's events. */
export interface EventReadOptions {
  revealSecrets: boolean;
  /** The command uses data events (byte counts, raw bytes); without them a pcapng reader skips packet payloads. */
  data?: boolean;
  session?: number;
  /**
   * Frame a JSON Lines capture again by today's rules (lint, stats). A pcapng capture's recorded
   * frames and findings are used as they are: its metadata blocks exist so readers do not re-derive.
   */
  reframeJsonl?: boolean;
  onProgress?: ReadProgress;
}

/**
 * The capture's events. With `revealSecrets`, frames are re-derived from the raw bytes (whatever
 * the format), because the recorded frames have their secrets overwritten (record-encoding.ts).
 */
export function readCaptureEvents(path: string, options: EventReadOptions, onEvent: (event: ProxyEvent) => void | Promise<void>): Promise<CaptureReadResult> {
  const { session, onProgress } = options;
  const reframe = options.revealSecrets || (options.reframeJsonl === true && captureFormatOf(path) !== 'pcapng');
  if (!reframe) return readCapture(path, onEvent, { session, onProgress, data: options.data ?? true });
  const derived: ProxyEvent[] = [];
  const reframer = new Reframer({ handle: (e) => { derived.push(e); } });
  return readCapture(path, async (event) => {
    reframer.handle(event);
    for (const e of derived.splice(0)) await onEvent(e);
  }, { session, onProgress });
}

/** The capture in the RFCs' C:/S: notation, one line per frame and per session start and end. */
export function exportText(path: string, write: ExportWrite, options: TextExportOptions): Promise<CaptureReadResult> {
  return readCaptureEvents(path, { ...options, data: false }, async (event) => {
    const line = eventLine(event, options);
    if (line !== undefined) await write(`${line}\n`);
  });
}

/** One JSON object per frame. */
export function exportJson(path: string, write: ExportWrite, options: Omit<TextExportOptions, 'utc'>): Promise<CaptureReadResult> {
  return readCaptureEvents(path, { ...options, data: false }, async (event) => {
    if (event.type === 'frame') await write(`${JSON.stringify(frameJson(event.frame, options.revealSecrets))}\n`);
  });
}

/** The exact bytes one direction of one session carried (wire layer: what the peer sent, after TLS). */
export async function exportRaw(path: string, write: ExportWrite, session: number, direction: Direction,
  layer: DataLayer = 'wire', onProgress?: ReadProgress): Promise<CaptureReadResult & { sessions: number[] }> {
  const sessions = new Set<number>();
  const result = await readCapture(path, async (event) => {
    if (event.type === 'session-open') sessions.add(event.session.id);
    if (event.type === 'data' && event.direction === direction && event.layer === layer) await write(event.bytes);
  }, { session, onProgress });
  return { ...result, sessions: [...sessions] };
}
