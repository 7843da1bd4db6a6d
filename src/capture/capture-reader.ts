import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ProxyEvent } from '../imap/events';
import { CAPTURE_FORMAT, CAPTURE_VERSION, directionOf, type CaptureRecord, type HeaderRecord } from './format';
import { upgradeRecord } from './format-upgrade';

/** A capture that cannot be read: names the file and line. */
export class CaptureError extends Error {}

/** What the reader found besides the events. */
export interface CaptureReadResult {
  header: HeaderRecord;
  /** The last line was cut off (a killed writer); everything before it was read. */
  truncated: boolean;
}

/**
 * Reads a capture as the same event stream the proxy produces, one record at a time (memory stays
 * bounded whatever the file size). A last line cut off by a killed writer is skipped and reported;
 * a newer format version is refused.
 */
export async function readCapture(path: string, onEvent: (event: ProxyEvent) => void | Promise<void>): Promise<CaptureReadResult> {
  const input = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (err) => reject(new CaptureError(`cannot read capture ${path}: ${err.message}`)));
  });
  await opened;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: HeaderRecord | undefined;
  let lineNo = 0;
  let pendingBad: { line: number; message: string } | undefined;
  for await (const line of lines) {
    lineNo += 1;
    if (pendingBad) throw new CaptureError(`${path}:${pendingBad.line}: ${pendingBad.message}`);
    if (line === '') continue;
    let record: CaptureRecord;
    try {
      record = JSON.parse(line) as CaptureRecord;
    } catch {
      if (!header) throw new CaptureError(`${path}: not an imapdbg capture (line 1 is not a JSON header record)`);
      // Only the very last line may be cut off; decide once we know whether more lines follow.
      pendingBad = { line: lineNo, message: 'not a complete JSON record' };
      continue;
    }
    if (!header) {
      header = checkHeader(record, path);
      continue;
    }
    const event = toEvent(upgradeRecord(record, header.version), path, lineNo);
    if (event) await onEvent(event);
  }
  if (!header) throw new CaptureError(`${path}: empty file, or not an imapdbg capture (no header record)`);
  return { header, truncated: pendingBad !== undefined };
}

function checkHeader(record: CaptureRecord, path: string): HeaderRecord {
  if (record.r !== 'header' || record.format !== CAPTURE_FORMAT) {
    throw new CaptureError(`${path}:1: not an imapdbg capture (expected a header record with format "${CAPTURE_FORMAT}")`);
  }
  if (record.version > CAPTURE_VERSION) {
    throw new CaptureError(`${path}: capture format version ${record.version} is newer than this imapdbg reads (up to ${CAPTURE_VERSION}); upgrade imapdbg`);
  }
  return record;
}

/** What a record of each kind must have before it is trusted; a JSON line of another shape is not a record. */
function shapeProblem(record: CaptureRecord): string | undefined {
  const r = record as unknown as Record<string, unknown>;
  const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  switch (record.r) {
    case 'data':
      return num(r.s) && num(r.t) && (r.d === 'c' || r.d === 's') && typeof r.b === 'string' ? undefined : 'data record without s, t, d (c|s) and b (base64)';
    case 'frame': {
      const f = r.f as Record<string, unknown> | undefined;
      return f && num(f.session) && num(f.seq) && (f.direction === 'client' || f.direction === 'server') && Array.isArray(f.parts)
        && Array.isArray(f.annotations) && Array.isArray(f.secrets) ? undefined : 'frame record without f.session, f.seq, f.direction, f.parts, f.secrets and f.annotations';
    }
    case 'session-open':
      return num((r.session as Record<string, unknown> | undefined)?.id) ? undefined : 'session-open record without session.id';
    case 'session-close':
      return num(r.s) && num(r.t) && typeof r.end === 'object' && r.end !== null ? undefined : 'session-close record without s, t and end';
    case 'finding':
    case 'tls':
      return num(r.s) && num(r.t) ? undefined : `${record.r} record without s and t`;
    default:
      return undefined;
  }
}

function toEvent(record: CaptureRecord, path: string, lineNo: number): ProxyEvent | undefined {
  const problem = shapeProblem(record);
  if (problem) throw new CaptureError(`${path}:${lineNo}: ${problem}`);
  switch (record.r) {
    case 'data':
      return { type: 'data', session: record.s, direction: directionOf(record.d), timeUs: record.t,
        bytes: Buffer.from(record.b, 'base64'), layer: record.l === 'i' ? 'inflated' : 'wire' };
    case 'frame':
      return { type: 'frame', frame: record.f };
    case 'session-open':
      return { type: 'session-open', session: record.session };
    case 'finding':
      return { type: 'finding', session: record.s, timeUs: record.t, finding: record.finding };
    case 'tls':
      return { type: 'tls', session: record.s, timeUs: record.t, tls: record.tls };
    case 'session-close':
      return { type: 'session-close', session: record.s, timeUs: record.t, end: record.end, bytes: record.bytes, frames: record.frames };
    case 'header':
      throw new CaptureError(`${path}:${lineNo}: a second header record`);
    default:
      // A record kind from a later minor addition: skip it rather than fail the whole capture.
      return undefined;
  }
}
