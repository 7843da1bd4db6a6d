import type { Annotation, Direction, Finding, FindingLevel, Frame, FrameKind, FramePart, LiteralForm, SecretSpan } from '../../imap/frame';
import type { ProxyEvent, SessionEnd, SessionInfo, TlsInfo } from '../../imap/events';
import type { ChangeSource, Intervention } from '../../imap/intervention';
import { checkedIntervention, checkedSource } from '../intervention-shape';
import { checkedPhase } from '../../imap/phase-annotation';
import type { RecordBytes } from './record-bytes';

/**
 * imapdbg's own record schema for the metadata it keeps in a pcapng capture, version 2. These types
 * are the file format: they change only with METADATA_VERSION and a step in metadata-upgrade.ts,
 * never because an in-memory type (Frame, SessionInfo...) changed. Converters below map both ways.
 *
 * Records are JSON objects, one per line, in imapdbg custom blocks and EPB custom options
 * (pcapng-blocks.ts). `k` says the kind; `s` is the session id; times are µs since the Unix epoch.
 * Frames are stored with their secrets overwritten by `*` (same lengths): the packets keep the real
 * bytes, and `--reveal-secrets` re-derives frames from them.
 *
 * Version 2 added `change` records (what imapdbg changed in the conversation, and who asked) and
 * stream records of layer `d` (the bytes imapdbg delivered to each peer in a session it changed).
 */
export const METADATA_VERSION = 2;

/** Stream layers: `w` what each peer sent, `i` COMPRESS inflated, `d` what imapdbg delivered to each peer. */
export type StreamLayerCode = 'w' | 'i' | 'd';

/** Which synthetic connection carries a session's bytes: interface, addresses (hex) and ports. */
export interface StreamRecord { k: 'stream'; s: number; layer: StreamLayerCode; if: number; cip: string; cp: number; sip: string; sp: number }
/** Who asked for a change: `rule` (index `i`, text `x`), `intercept`, `script` (file `f`, hook `h`). */
export type ChangeSourceRecord = { k: 'rule'; i: number; x: string } | { k: 'intercept' } | { k: 'script'; f: string; h: string };
/**
 * A change imapdbg made: action `a`, source `src`, toward peer `to`, frame `q`, amount `n`
 * (ms, bytes or bytes/s), bytes delivered instead `b`, detail `x` (masked by the producer).
 */
export interface ChangeRecord {
  k: 'change'; s: number; t: number; a: string; src: ChangeSourceRecord; to: 'c' | 's'; q?: number; n?: number; b?: number; x: string;
}
/** `addr` and `opaque` came with the SOCKS5 front end; older readers ignore them, older captures lack them. */
export interface OpenRecord { k: 'open'; s: number; t: number; client: string; upstream: string; listen: string; addr?: string; opaque?: 1 }
export type LineRecord = { x: string; n: number; o: number; tr?: 1; end: 'crlf' | 'lf' | 'none' };
export type LiteralRecord = { size: number; got: number; form: LiteralForm; bin?: 1; o: number; sha: string; pre: string };
export type PartRecord = { line: LineRecord } | { lit: LiteralRecord };
/** [part, start, end] for characters of a line part; [part] for a whole literal. */
export type SecretRecord = [number, number, number] | [number];
export interface FindingRecord { lvl: FindingLevel; code: string; rfc: string; msg: string }
export type AnnotationRecord =
  | { pair: { cs: number; cmd: string; lat: number } }
  | { finding: FindingRecord }
  | { phase: string; detail?: Record<string, string | number | boolean> }
  | { note: string };
export interface FrameRecord {
  k: 'frame'; s: number; q: number; d: 'c' | 's'; kind: FrameKind; t: number; e: number; o: number; n: number;
  tag?: string; verb?: string; parts: PartRecord[]; sec: SecretRecord[]; ann: AnnotationRecord[];
}
export interface SessionFindingRecord { k: 'finding'; s: number; t: number; f: FindingRecord }
export interface TlsRecord {
  k: 'tls'; s: number; t: number; leg: 'client' | 'server'; ver: string; cipher: string;
  sni?: string; alpn?: string; subj?: string; iss?: string; verdict?: string;
}
export type EndRecord = { by: 'client-closed' | 'server-closed' | 'proxy-shutdown' } | { by: 'error'; side: Direction | 'proxy'; msg: string };
export interface CloseRecord { k: 'close'; s: number; t: number; end: EndRecord; bc: number; bs: number; frames: number }

export type MetadataRecord = StreamRecord | OpenRecord | FrameRecord | SessionFindingRecord | TlsRecord | CloseRecord | ChangeRecord;

const dirCode = (d: Direction): 'c' | 's' => (d === 'client' ? 'c' : 's');
const dirOf = (c: 'c' | 's'): Direction => (c === 'c' ? 'client' : 'server');

function findingRecord(f: Finding): FindingRecord {
  return { lvl: f.level, code: f.code, rfc: f.rfc, msg: f.message };
}
function findingOf(r: FindingRecord): Finding {
  return { level: r.lvl, code: r.code, rfc: r.rfc, message: r.msg };
}

function partRecord(p: FramePart): PartRecord {
  if (p.type === 'line') {
    const l = p.line;
    return { line: { x: l.text, n: l.length, o: l.offset, ...(l.truncated ? { tr: 1 as const } : {}), end: l.ending } };
  }
  const l = p.literal;
  return { lit: { size: l.size, got: l.received, form: l.form, ...(l.binary ? { bin: 1 as const } : {}), o: l.offset, sha: l.sha256, pre: l.preview } };
}
function partOf(r: PartRecord): FramePart {
  if ('line' in r) {
    const l = r.line;
    return { type: 'line', line: { text: l.x, length: l.n, offset: l.o, truncated: l.tr === 1, ending: l.end } };
  }
  const l = r.lit;
  return { type: 'literal', literal: { size: l.size, received: l.got, form: l.form, binary: l.bin === 1, offset: l.o, sha256: l.sha, preview: l.pre } };
}

function secretRecord(s: SecretSpan): SecretRecord {
  return 'literal' in s ? [s.part] : [s.part, s.start, s.end];
}
function secretOf(r: SecretRecord): SecretSpan {
  return r.length === 1 ? { part: r[0], literal: true } : { part: r[0], start: r[1], end: r[2] };
}

function annotationRecord(a: Annotation): AnnotationRecord {
  switch (a.kind) {
    case 'pair': return { pair: { cs: a.commandSeq, cmd: a.command, lat: a.latencyUs } };
    case 'finding': return { finding: findingRecord(a.finding) };
    case 'phase': return { phase: a.phase, detail: a.detail };
    // Written back as it was read: a converted capture keeps what this version could not check.
    case 'unrecognised-phase': return a.detail === undefined ? { phase: a.phase } : { phase: a.phase, detail: a.detail };
    case 'note': return { note: a.text };
    default: { const never: never = a; return never; }
  }
}
/**
 * Unknown annotation shapes (a later minor addition) are dropped, as Annotation consumers must ignore
 * unknown kinds. A phase is checked against its tracker's table (checkedPhase): one that does not
 * fit is kept as unrecognised, never passed on as typed.
 */
function annotationOf(r: AnnotationRecord): Annotation | undefined {
  if (typeof r !== 'object' || r === null) return undefined; // a hand-edited `ann` entry: `in` would throw
  if ('pair' in r) return { kind: 'pair', commandSeq: r.pair.cs, command: r.pair.cmd, latencyUs: r.pair.lat };
  if ('finding' in r) return { kind: 'finding', finding: findingOf(r.finding) };
  if ('phase' in r) return checkedPhase(r.phase, r.detail);
  if ('note' in r) return { kind: 'note', text: r.note };
  return undefined;
}

export function frameRecord(f: Frame): FrameRecord {
  return {
    k: 'frame', s: f.session, q: f.seq, d: dirCode(f.direction), kind: f.kind, t: f.timeUs, e: f.endUs, o: f.offset, n: f.length,
    ...(f.tag !== undefined ? { tag: f.tag } : {}), ...(f.verb !== undefined ? { verb: f.verb } : {}),
    parts: f.parts.map(partRecord), sec: f.secrets.map(secretRecord), ann: f.annotations.map(annotationRecord),
  };
}
const finite = Number.isFinite;
/**
 * Writes JSON.stringify(frameRecord(f)), the same text, into `out`, without the record object and
 * without strings (record-bytes.ts says why): the writer makes one per frame, two per NOOP round
 * trip (issue 10). Only the common shapes (line parts, pair annotations) are written here, and only
 * when their numbers are finite (a frame converted from a hand-edited capture may hold anything);
 * the rest go through JSON.stringify of their records.
 */
export function writeFrameRecord(f: Frame, out: RecordBytes): void {
  // A frame read from a hand-edited capture may lack a kind: JSON.stringify leaves the key out.
  if (!(finite(f.session) && finite(f.seq) && finite(f.timeUs) && finite(f.endUs) && finite(f.offset) && finite(f.length)
    && typeof f.kind === 'string')) {
    out.utf8(JSON.stringify(frameRecord(f)));
    return;
  }
  out.numberField('{"k":"frame","s":', f.session);
  out.numberField(',"q":', f.seq);
  out.jsonField(f.direction === 'client' ? ',"d":"c","kind":' : ',"d":"s","kind":', f.kind);
  out.numberField(',"t":', f.timeUs);
  out.numberField(',"e":', f.endUs);
  out.numberField(',"o":', f.offset);
  out.numberField(',"n":', f.length);
  if (f.tag !== undefined) out.jsonField(',"tag":', f.tag);
  if (f.verb !== undefined) out.jsonField(',"verb":', f.verb);
  out.ascii(',"parts":[');
  for (let i = 0; i < f.parts.length; i++) {
    const p = f.parts[i];
    if (i > 0) out.ascii(',');
    const l = p.type === 'line' ? p.line : undefined;
    if (l && typeof l.text === 'string' && finite(l.length) && finite(l.offset) && typeof l.ending === 'string') {
      out.jsonField('{"line":{"x":', l.text);
      out.numberField(',"n":', l.length);
      out.numberField(',"o":', l.offset);
      out.jsonField(l.truncated ? ',"tr":1,"end":' : ',"end":', l.ending);
      out.ascii('}}');
    } else {
      out.utf8(JSON.stringify(partRecord(p)));
    }
  }
  out.ascii('],"sec":');
  if (f.secrets.length === 0) out.ascii('[]');
  else out.utf8(JSON.stringify(f.secrets.map(secretRecord)));
  out.ascii(',"ann":[');
  for (let i = 0; i < f.annotations.length; i++) {
    const a = f.annotations[i];
    if (i > 0) out.ascii(',');
    if (a.kind === 'pair' && finite(a.commandSeq) && finite(a.latencyUs) && typeof a.command === 'string') {
      out.numberField('{"pair":{"cs":', a.commandSeq);
      out.jsonField(',"cmd":', a.command);
      out.numberField(',"lat":', a.latencyUs);
      out.ascii('}}');
    } else {
      out.utf8(JSON.stringify(annotationRecord(a)));
    }
  }
  out.ascii(']}');
}

export function frameOf(r: FrameRecord): Frame {
  return {
    session: r.s, seq: r.q, direction: dirOf(r.d), kind: r.kind, timeUs: r.t, endUs: r.e, offset: r.o, length: r.n,
    ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.verb !== undefined ? { verb: r.verb } : {}),
    parts: r.parts.map(partOf), secrets: r.sec.map(secretOf),
    annotations: r.ann.map(annotationOf).filter((a): a is Annotation => a !== undefined),
  };
}

function endRecord(e: SessionEnd): EndRecord {
  return e.by === 'error' ? { by: 'error', side: e.side, msg: e.message } : { by: e.by };
}
function endOf(r: EndRecord): SessionEnd {
  return r.by === 'error' ? { by: 'error', side: r.side, message: r.msg } : { by: r.by };
}

function tlsRecord(s: number, t: number, tls: TlsInfo): TlsRecord {
  const r: TlsRecord = { k: 'tls', s, t, leg: tls.leg, ver: tls.version, cipher: tls.cipher };
  if (tls.sni !== undefined) r.sni = tls.sni;
  if (tls.alpn !== undefined) r.alpn = tls.alpn;
  if (tls.peerSubject !== undefined) r.subj = tls.peerSubject;
  if (tls.peerIssuer !== undefined) r.iss = tls.peerIssuer;
  if (tls.verdict !== undefined) r.verdict = tls.verdict;
  return r;
}
function tlsOf(r: TlsRecord): TlsInfo {
  const tls: TlsInfo = { leg: r.leg, version: r.ver, cipher: r.cipher };
  if (r.sni !== undefined) tls.sni = r.sni;
  if (r.alpn !== undefined) tls.alpn = r.alpn;
  if (r.subj !== undefined) tls.peerSubject = r.subj;
  if (r.iss !== undefined) tls.peerIssuer = r.iss;
  if (r.verdict !== undefined) tls.verdict = r.verdict;
  return tls;
}

function sourceRecord(source: ChangeSource): ChangeSourceRecord {
  switch (source.kind) {
    case 'rule': return { k: 'rule', i: source.index, x: source.text };
    case 'intercept': return { k: 'intercept' };
    case 'script': return { k: 'script', f: source.file, h: source.hook };
    default: { const never: never = source; return never; }
  }
}

function changeRecord(s: number, t: number, c: Intervention): ChangeRecord {
  return { k: 'change', s, t, a: c.action, src: sourceRecord(c.source), to: dirCode(c.toward),
    ...(c.frameSeq !== undefined ? { q: c.frameSeq } : {}), ...(c.amount !== undefined ? { n: c.amount } : {}),
    ...(c.deliveredBytes !== undefined ? { b: c.deliveredBytes } : {}), x: c.detail };
}

/** The intervention of a change record; undefined for an action a later version added (skipped). */
function interventionOf(r: ChangeRecord): Intervention | undefined {
  const found = checkedIntervention(changeFields(r));
  return typeof found === 'object' ? found : undefined;
}

function changeFields(r: ChangeRecord): Parameters<typeof checkedIntervention>[0] {
  const src = r.src as unknown as Record<string, unknown>;
  return { action: r.a, source: checkedSource(src.k, src.i, src.x, src.f, src.h), toward: r.to === 'c' ? 'client' : r.to === 's' ? 'server' : undefined,
    frameSeq: r.q, amount: r.n, deliveredBytes: r.b, detail: r.x };
}

function openRecord(info: SessionInfo): OpenRecord {
  const r: OpenRecord = { k: 'open', s: info.id, t: info.startUs, client: info.client, upstream: info.upstream, listen: info.listen };
  if (info.upstreamAddress !== undefined) r.addr = info.upstreamAddress;
  if (info.opaque === true) r.opaque = 1;
  return r;
}
function infoOf(r: OpenRecord): SessionInfo {
  const info: SessionInfo = { id: r.s, startUs: r.t, client: r.client, upstream: r.upstream, listen: r.listen };
  if (typeof r.addr === 'string') info.upstreamAddress = r.addr;
  if (r.opaque === 1) info.opaque = true;
  return info;
}

/** The record of a non-data event (data travels in packets). Frames must already have their secrets overwritten. */
export function recordOfEvent(event: Exclude<ProxyEvent, { type: 'data' }>): Exclude<MetadataRecord, StreamRecord> {
  switch (event.type) {
    case 'intervention': return changeRecord(event.session, event.timeUs, event.intervention);
    case 'session-open': return openRecord(event.session);
    case 'frame': return frameRecord(event.frame);
    case 'finding': return { k: 'finding', s: event.session, t: event.timeUs, f: findingRecord(event.finding) };
    case 'tls': return tlsRecord(event.session, event.timeUs, event.tls);
    case 'session-close': return { k: 'close', s: event.session, t: event.timeUs, end: endRecord(event.end),
      bc: event.bytes.client, bs: event.bytes.server, frames: event.frames };
    default: { const never: never = event; return never; }
  }
}

/** The event a record stands for; undefined for stream records (they only map packets to sessions). */
export function eventOfRecord(r: MetadataRecord): ProxyEvent | undefined {
  switch (r.k) {
    case 'stream': return undefined;
    case 'open': return { type: 'session-open', session: infoOf(r) };
    case 'frame': return { type: 'frame', frame: frameOf(r) };
    case 'finding': return { type: 'finding', session: r.s, timeUs: r.t, finding: findingOf(r.f) };
    case 'tls': return { type: 'tls', session: r.s, timeUs: r.t, tls: tlsOf(r) };
    case 'close': return { type: 'session-close', session: r.s, timeUs: r.t, end: endOf(r.end), bytes: { client: r.bc, server: r.bs }, frames: r.frames };
    case 'change': {
      const intervention = interventionOf(r);
      return intervention && { type: 'intervention', session: r.s, timeUs: r.t, intervention };
    }
    default: return undefined;
  }
}

const FRAME_KINDS: readonly string[] = ['greeting', 'command', 'command-continuation', 'continuation', 'untagged', 'tagged', 'sasl', 'idle-done', 'unparsed'] satisfies FrameKind[];

const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const str = (v: unknown): boolean => typeof v === 'string';
const arr = (v: unknown): boolean => Array.isArray(v);

/**
 * Why a parsed JSON value is not a trustworthy record of its kind (undefined when it is). Unknown
 * kinds are not problems: the reader skips them (a later minor addition).
 */
export function recordShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a metadata record is not a JSON object';
  const r = value as Record<string, unknown>;
  if (!str(r.k)) return 'a metadata record without a kind (k)';
  if (['stream', 'open', 'frame', 'finding', 'tls', 'close', 'change'].includes(r.k as string) && (!num(r.s) || (r.k !== 'stream' && !num(r.t)))) {
    return `a ${String(r.k)} record without s and t`;
  }
  switch (r.k) {
    case 'stream': return num(r.if) && str(r.cip) && str(r.sip) && num(r.cp) && num(r.sp) && (r.layer === 'w' || r.layer === 'i' || r.layer === 'd') ? undefined : 'a stream record without if, cip, cp, sip, sp and layer';
    case 'open': return str(r.client) && str(r.upstream) && str(r.listen) ? undefined : 'an open record without client, upstream and listen';
    case 'frame': return num(r.q) && (r.d === 'c' || r.d === 's') && FRAME_KINDS.includes(r.kind as string) && num(r.e) && num(r.o) && num(r.n) && arr(r.parts) && arr(r.sec) && arr(r.ann)
      && (r.parts as unknown[]).every((p) => typeof p === 'object' && p !== null && ('line' in p || 'lit' in p))
      && (r.sec as unknown[]).every((s) => Array.isArray(s) && s.every(num))
      ? undefined : 'a frame record without q, d (c|s), kind, e, o, n, parts, sec and ann';
    case 'finding': return typeof r.f === 'object' && r.f !== null ? undefined : 'a finding record without f';
    case 'tls': return str(r.leg) && str(r.ver) && str(r.cipher) ? undefined : 'a tls record without leg, ver and cipher';
    case 'close': return typeof r.end === 'object' && r.end !== null && num(r.bc) && num(r.bs) && num(r.frames) ? undefined : 'a close record without end, bc, bs and frames';
    case 'change': return typeof r.src === 'object' && r.src !== null && checkedIntervention(changeFields(r as unknown as ChangeRecord)) !== undefined
      ? undefined : 'a change record without a, src, to (c|s) and x';
    default: return undefined;
  }
}
