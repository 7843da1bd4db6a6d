import type { ProxyEvent } from '../imap/events';
import type { Annotation } from '../imap/frame';
import { checkedAnnotation } from './annotation-shape';
import { CAPTURE_FORMAT, CAPTURE_VERSION, directionOf, layerOf, type CaptureRecord, type HeaderRecord } from './format';
import { checkedIntervention, checkedSource } from './intervention-shape';
import { upgradeRecord } from './format-upgrade';
import { InputFileError, recordLines } from './record-lines';
import { CaptureError, type CaptureReadOptions, type CaptureReadResult, type ReadProgress } from './capture-error';
import { captureFormatOf } from './pcapng/capture-format-sniffer';
import { readPcapngCapture } from './pcapng/pcapng-capture-reader';

export { CaptureError, type CaptureReadOptions, type CaptureReadResult } from './capture-error';

/**
 * Reads a capture of either format, chosen by its content (captureFormatOf), never by its name:
 * pcapng (what `proxy --record` writes) or JSON Lines v1 (captures of earlier versions). A file
 * that is neither is read as JSON Lines, whose reader names what is wrong with it in one line.
 */
export async function readCapture(path: string, onEvent: (event: ProxyEvent) => void | Promise<void>,
  options: CaptureReadOptions = {}): Promise<CaptureReadResult> {
  if (captureFormatOf(path) === 'pcapng') return readPcapngCapture(path, onEvent, options);
  const { session } = options;
  if (session === undefined) return readJsonlCapture(path, onEvent, options.onProgress);
  return readJsonlCapture(path, (event) => (sessionOf(event) === session ? onEvent(event) : undefined), options.onProgress);
}

function sessionOf(event: ProxyEvent): number {
  switch (event.type) {
    case 'session-open': return event.session.id;
    case 'frame': return event.frame.session;
    default: return event.session;
  }
}

/**
 * Reads a JSON Lines capture as the same event stream the proxy produces, one record at a time (memory stays
 * bounded whatever the file size: see record-lines.ts for the longest record). A last line cut off
 * by a killed writer is skipped and reported; a newer format version is refused; a directory, FIFO
 * or device is refused rather than read (a FIFO nobody writes to would wait forever).
 */
export async function readJsonlCapture(path: string, onEvent: (event: ProxyEvent) => void | Promise<void>,
  onProgress?: ReadProgress): Promise<CaptureReadResult> {
  let header: HeaderRecord | undefined;
  let pendingBad: { line: number; message: string } | undefined;
  try {
    for await (const { text: line, lineNo } of recordLines(path, 'capture', undefined, onProgress)) {
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
  } catch (err) {
    throw err instanceof InputFileError ? new CaptureError(err.message) : err;
  }
  if (!header) throw new CaptureError(`${path}: empty file, or not an imapdbg capture (no header record)`);
  return { header, truncated: pendingBad !== undefined };
}

function checkHeader(record: CaptureRecord, path: string): HeaderRecord {
  if (typeof record !== 'object' || record === null || record.r !== 'header' || record.format !== CAPTURE_FORMAT) {
    throw new CaptureError(`${path}:1: not an imapdbg capture (expected a header record with format "${CAPTURE_FORMAT}")`);
  }
  const version: unknown = record.version;
  if (typeof version === 'number' && Number.isInteger(version) && version > CAPTURE_VERSION) {
    throw new CaptureError(`${path}: capture format version ${version} is newer than this imapdbg reads (up to ${CAPTURE_VERSION}); upgrade imapdbg`);
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new CaptureError(`${path}:1: capture format version ${JSON.stringify(version) ?? 'missing'} is not one imapdbg wrote (1 to ${CAPTURE_VERSION})`);
  }
  if (!isTime(record.createdUs)) throw new CaptureError(`${path}:1: header createdUs ${JSON.stringify(record.createdUs) ?? 'missing'} is not a time (microseconds since 1970)`);
  return record;
}

/** A count, size or offset: a whole number that arithmetic keeps exact. */
function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Microseconds since 1970; a safe integer ends in the year 2255, well inside what Date prints. */
const isTime = isCount;

/** The first number field of a frame that is not a count or time, as `name=value`; undefined when all are. */
function frameNumberProblem(f: Record<string, unknown>): string | undefined {
  for (const key of ['session', 'seq', 'timeUs', 'endUs', 'offset', 'length']) {
    if (!isCount(f[key])) return `f.${key}=${JSON.stringify(f[key]) ?? 'missing'}`;
  }
  for (const [i, part] of (f.parts as unknown[]).entries()) {
    const p = part as Record<string, unknown> | null;
    const inner = (p?.type === 'line' ? p.line : p?.type === 'literal' ? p.literal : undefined) as Record<string, unknown> | undefined;
    if (typeof inner !== 'object' || inner === null) return `f.parts[${i}] (neither a line nor a literal)`;
    const keys = p?.type === 'line' ? ['length', 'offset'] : ['size', 'received', 'offset'];
    for (const key of keys) if (!isCount(inner[key])) return `f.parts[${i}].${key}=${JSON.stringify(inner[key]) ?? 'missing'}`;
  }
  return undefined;
}

/**
 * What a record of each kind must have before it is trusted; a JSON line of another shape is not a
 * record. Numbers must be counts or times (finite, whole, not negative): a hand-edited 1e300 would
 * otherwise print as NaN:NaN:NaN.
 */
function shapeProblem(record: CaptureRecord): string | undefined {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'not a JSON object record';
  const r = record as unknown as Record<string, unknown>;
  const num = isCount;
  switch (record.r) {
    case 'data':
      return num(r.s) && isTime(r.t) && (r.d === 'c' || r.d === 's') && typeof r.b === 'string' ? undefined : 'data record without s, t (whole numbers), d (c|s) and b (base64)';
    case 'frame': {
      const f = r.f as Record<string, unknown> | undefined;
      if (!(typeof f === 'object' && f !== null && (f.direction === 'client' || f.direction === 'server') && Array.isArray(f.parts)
        && Array.isArray(f.annotations) && Array.isArray(f.secrets))) return 'frame record without f.session, f.seq, f.direction, f.parts, f.secrets and f.annotations';
      const bad = frameNumberProblem(f);
      return bad ? `frame record with ${bad}: not a count or time` : undefined;
    }
    case 'session-open': {
      const info = r.session as Record<string, unknown> | undefined;
      return typeof info === 'object' && info !== null && num(info.id) && isTime(info.startUs) ? undefined : 'session-open record without session.id and session.startUs (whole numbers)';
    }
    case 'session-close': {
      const bytes = r.bytes as Record<string, unknown> | undefined;
      return num(r.s) && isTime(r.t) && typeof r.end === 'object' && r.end !== null
        && typeof bytes === 'object' && bytes !== null && num(bytes.client) && num(bytes.server) && num(r.frames)
        ? undefined : 'session-close record without s, t, end, bytes.client, bytes.server and frames (whole numbers)';
    }
    case 'finding':
    case 'tls':
      return num(r.s) && isTime(r.t) ? undefined : `${record.r} record without s and t (whole numbers)`;
    case 'change':
      return num(r.s) && isTime(r.t) && typeof r.c === 'object' && r.c !== null ? undefined : 'change record without s, t (whole numbers) and c';
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
        bytes: Buffer.from(record.b, 'base64'), layer: layerOf(record.l) };
    case 'change': {
      const c = record.c as unknown as Record<string, unknown>;
      const s = (typeof c.source === 'object' && c.source !== null ? c.source : {}) as Record<string, unknown>;
      const intervention = checkedIntervention({ action: c.action, toward: c.toward, frameSeq: c.frameSeq, amount: c.amount,
        deliveredBytes: c.deliveredBytes, detail: c.detail, source: checkedSource(s.kind, s.index, s.text, s.file, s.hook) });
      if (intervention === undefined) throw new CaptureError(`${path}:${lineNo}: change record without c.action, c.source, c.toward (client|server) and c.detail`);
      return intervention === 'unknown' ? undefined : { type: 'intervention', session: record.s, timeUs: record.t, intervention };
    }
    case 'frame': {
      // The frame's annotations are checked here, at the boundary: consumers trust a typed phase.
      const annotations = (record.f.annotations as unknown[]).map(checkedAnnotation).filter((x): x is Annotation => x !== undefined);
      return { type: 'frame', frame: { ...record.f, annotations } };
    }
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
