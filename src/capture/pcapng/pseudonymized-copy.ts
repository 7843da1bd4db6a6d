import type { Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Direction, Frame } from '../../imap/frame';
import type { ReadProgress } from '../capture-error';
import { BlockSource, type Block } from './block-source';
import {
  BLOCK_CUSTOM_COPY, BLOCK_CUSTOM_NOCOPY, BLOCK_EPB, encodeBlock, encodeCustomBlock, encodeOption, forEachOption, imapdbgPayload,
  OPT_COMMENT, OPT_CUSTOM_BINARY_COPY, pad4, parseImapdbgPayload, PAYLOAD_INDEX, PAYLOAD_RECORDS,
} from './pcapng-blocks';
import { writeSync } from 'node:fs';
import { PCAPNG_CAPTURE_VERSION } from './pcapng-format';
import { frameOf, type FrameRecord, type MetadataRecord, type StreamRecord } from './metadata-records';
import { connectionKey, tcpPacketView } from './packet-view';
import { parseIndex, type CaptureIndex } from './session-index';
import { FramePseudonymPlanner, type PlannedSpan } from './frame-pseudonym-plan';
import type { PseudonymTable } from './pseudonym-table';

/**
 * The copying pass of pcapng-pseudonymize.ts: every block of the input copied in order, packet
 * payloads overwritten by the stream patches the earlier passes planned, addresses replaced, metadata
 * records rewritten by the same frame plans, and the index rebuilt with the moved file offsets.
 */
export type Layer = 'wire' | 'inflated';

/** One stream range to overwrite: [start, end) of a session's layer and direction. */
export interface Patch {
  start: number;
  end: number;
  what: PlannedSpan['action'] | { kind: 'deflated' };
  /** Literal fillers: the literal's number (by digest), known after the hashing pass. */
  literal?: LiteralBody;
}

export interface LiteralBody {
  hash?: Hash;
  id?: number;
}

const MASK = 0x2a;
const CR = 0x0d;
const LF = 0x0a;
/** Records per option at most (an option's length is 16 bits); more go in a custom block before the packet. */
const MAX_OPTION_BODY = 60_000;

export const streamKey = (session: number, layer: Layer, direction: Direction): string => `${session}/${layer}/${direction}`;

/** Calls `each` for every patch of `key` that overlaps stream bytes [start, end), walking a cursor forwards. */
export function forEachOverlap(list: Patch[] | undefined, cursors: Map<string, number>, key: string, start: number, end: number,
  each: (p: Patch, from: number, to: number) => void): void {
  if (!list) return;
  let i = cursors.get(key) ?? 0;
  while (i < list.length && list[i].end <= start) i += 1;
  cursors.set(key, i);
  for (let j = i; j < list.length && list[j].start < end; j++) {
    const p = list[j];
    const from = Math.max(p.start, start);
    const to = Math.min(p.end, end);
    if (from < to) each(p, from, to);
  }
}

/**
 * `pattern` repeated over `original` (its first byte is byte `phase` of the pattern), with the CR and
 * LF bytes of the original kept where they are: a filler with the line structure of what it hides.
 */
function filler(pattern: string, phase: number, original: Buffer): Buffer {
  const pat = Buffer.from(pattern, 'latin1');
  const k = phase % pat.length;
  const out = Buffer.alloc(original.length, Buffer.concat([pat.subarray(k), pat.subarray(0, k)]));
  for (const b of [CR, LF]) {
    for (let i = original.indexOf(b); i !== -1; i = original.indexOf(b, i + 1)) out[i] = b;
  }
  return out;
}

/** The third pass: every block copied, packets and records rewritten, the index rebuilt. */
export class PseudonymizedCopy {
  private readonly streams = new Map<string, { session: number; layer: Layer; direction: Direction }>();
  private readonly offsets = new Map<string, number>();
  private readonly cursors = new Map<string, number>();
  private readonly planner: FramePseudonymPlanner;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  /** [old offset, new - old] wherever the difference changed: maps the index's offsets. */
  private readonly moves: Array<[number, number]> = [[0, 0]];

  constructor(private readonly input: string, private readonly fd: number, private readonly table: PseudonymTable,
    private readonly patches: Map<string, Patch[]>, private readonly literals: Map<string, LiteralBody>,
    private readonly onProgress?: ReadProgress) {
    this.planner = new FramePseudonymPlanner();
  }

  async run(): Promise<void> {
    const file = await open(this.input, 'r');
    try {
      const size = (await file.stat()).size;
      const source = new BlockSource(file, size);
      let offset = 0;
      let index: CaptureIndex | undefined;
      let told = 0;
      while (offset < size) {
        const block = await source.blockAt(offset, () => false);
        if (!('type' in block)) break; // cut or corrupt: pass 1 read as far, and so does the copy
        const delta = this.written - offset;
        if (delta !== this.moves[this.moves.length - 1][1]) this.moves.push([offset, delta]);
        const isIndex = block.type === BLOCK_CUSTOM_NOCOPY && parseImapdbgPayload(block.bytes.subarray(8, block.length - 4))?.kind === PAYLOAD_INDEX;
        if (isIndex) {
          const payload = parseImapdbgPayload(block.bytes.subarray(8, block.length - 4));
          index = payload ? parseIndex(payload.body.toString('utf8').replace(/\0+$/, '')) : undefined;
        } else {
          this.copy(block);
        }
        offset += block.length;
        if (this.onProgress && offset - told >= 8 * 1024 * 1024) { told = offset; this.onProgress(offset, size); }
      }
      const delta = this.written - offset;
      if (delta !== this.moves[this.moves.length - 1][1]) this.moves.push([offset, delta]);
      if (index) this.emit(encodeCustomBlock(BLOCK_CUSTOM_NOCOPY, imapdbgPayload(PAYLOAD_INDEX, PCAPNG_CAPTURE_VERSION, Buffer.from(JSON.stringify(this.movedIndex(index)), 'utf8'))));
      this.flush();
      this.onProgress?.(size, size);
    } finally {
      await file.close();
    }
  }

  private copy(block: Block): void {
    const bytes = block.bytes;
    if (block.type === BLOCK_CUSTOM_COPY) {
      const payload = parseImapdbgPayload(bytes.subarray(8, block.length - 4));
      if (payload?.kind === PAYLOAD_RECORDS) {
        this.emit(encodeCustomBlock(BLOCK_CUSTOM_COPY, imapdbgPayload(PAYLOAD_RECORDS, payload.version, this.records(payload.body))));
        return;
      }
    }
    if (block.type !== BLOCK_EPB) { this.emit(Buffer.from(bytes)); return; }
    const caplen = bytes.readUInt32LE(20);
    const packet = Buffer.from(bytes.subarray(28, 28 + caplen));
    const options: Buffer[] = [];
    const before: Buffer[] = [];
    forEachOption(bytes.subarray(28 + pad4(caplen), block.length - 4), (code, value) => {
      if (code === OPT_COMMENT) { options.push(encodeOption(OPT_COMMENT, Buffer.from(this.table.text(value.toString('utf8')), 'utf8'))); return; }
      const payload = code === OPT_CUSTOM_BINARY_COPY ? parseImapdbgPayload(value) : undefined;
      if (payload?.kind !== PAYLOAD_RECORDS) { options.push(encodeOption(code, Buffer.from(value))); return; }
      const body = imapdbgPayload(PAYLOAD_RECORDS, payload.version, this.records(payload.body));
      // Grown past what an option holds: the records go in a custom block just before (read in the same order).
      if (body.length > MAX_OPTION_BODY) before.push(encodeCustomBlock(BLOCK_CUSTOM_COPY, body));
      else options.push(encodeOption(OPT_CUSTOM_BINARY_COPY, body));
    });
    this.patchPacket(bytes, packet);
    for (const b of before) this.emit(b);
    const head = Buffer.from(bytes.subarray(8, 28));
    const opts = options.length > 0 ? Buffer.concat([...options, Buffer.alloc(4)]) : Buffer.alloc(0);
    this.emit(encodeBlock(BLOCK_EPB, Buffer.concat([head, packet, Buffer.alloc(pad4(caplen) - caplen), opts])));
  }

  /** The packet's payload overwritten where the plan says, its addresses replaced (IPv4 checksum redone). */
  private patchPacket(block: Buffer, packet: Buffer): void {
    const view = tcpPacketView(block);
    if (!view) return;
    const end = this.streams.get(view.key);
    if (end && view.payloadLength > 0) {
      const key = streamKey(end.session, end.layer, end.direction);
      const start = this.offsets.get(view.key) ?? 0;
      this.offsets.set(view.key, start + view.payloadLength);
      const at = view.payloadAt - 28;
      forEachOverlap(this.patches.get(key), this.cursors, key, start, start + view.payloadLength, (p, from, to) => {
        const replacement = this.replacement(p, from, packet.subarray(at + (from - start), at + (to - start)));
        replacement.copy(packet, at + (from - start));
      });
    }
    const ethertype = packet.readUInt16BE(12);
    if (ethertype === 0x0800) {
      this.table.ip(packet.subarray(26, 30)).copy(packet, 26);
      this.table.ip(packet.subarray(30, 34)).copy(packet, 30);
      packet.writeUInt16BE(0, 24);
      let sum = 0;
      for (let i = 14; i < 34; i += 2) sum += packet.readUInt16BE(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      packet.writeUInt16BE(~sum & 0xffff, 24);
    } else if (ethertype === 0x86dd) {
      this.table.ip(packet.subarray(22, 38)).copy(packet, 22);
      this.table.ip(packet.subarray(38, 54)).copy(packet, 38);
    }
  }

  /** What replaces `original`, the bytes of patch `p` from stream offset `from` on. */
  private replacement(p: Patch, from: number, original: Buffer): Buffer {
    const what = p.what;
    switch (what.kind) {
      case 'mask': return Buffer.alloc(original.length, MASK);
      case 'deflated': return filler('<deflated> ', from - p.start, original);
      case 'literal': return filler(`<literal ${p.literal?.id ?? 0}> `, from - p.start, original);
      default: {
        const whole = Buffer.from(what.kind === 'mailbox' ? this.table.mailbox(what.raw) : this.sameLengthText(what.raw), 'latin1');
        const out = Buffer.from(original);
        whole.copy(out, 0, from - p.start, from - p.start + original.length);
        return out;
      }
    }
  }

  /** Status text with the known mailbox names replaced by their placeholders (same lengths). */
  private sameLengthText(raw: string): string {
    let out = raw;
    for (const name of this.table.knownNames()) out = out.split(name).join(this.table.mailbox(name));
    return out;
  }

  /** Metadata records rewritten: addresses, names, frames by the same plan as their packets. */
  private records(body: Buffer): Buffer {
    const lines: string[] = [];
    for (const line of body.toString('utf8').replace(/\0+$/, '').split('\n')) {
      if (line === '') continue;
      let record: MetadataRecord;
      try { record = JSON.parse(line) as MetadataRecord; } catch { lines.push(line); continue; }
      lines.push(JSON.stringify(this.record(record)));
    }
    return Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
  }

  private record(r: MetadataRecord): MetadataRecord {
    switch (r.k) {
      case 'stream': {
        const layer: Layer = r.layer === 'w' ? 'wire' : 'inflated';
        const client = connectionKey(r.if, r.cip, r.cp, r.sip, r.sp);
        const server = connectionKey(r.if, r.sip, r.sp, r.cip, r.cp);
        this.streams.set(client, { session: r.s, layer, direction: 'client' });
        this.streams.set(server, { session: r.s, layer, direction: 'server' });
        this.offsets.delete(client);
        this.offsets.delete(server);
        return this.streamRecord(r);
      }
      case 'open': return { ...r, client: this.table.endpoint(r.client), upstream: this.table.endpoint(r.upstream), listen: this.table.endpoint(r.listen) };
      case 'tls': {
        const out = { ...r };
        if (out.sni !== undefined) out.sni = this.table.host(out.sni);
        if (out.subj !== undefined) out.subj = this.table.named('subject', out.subj);
        if (out.iss !== undefined) out.iss = this.table.named('issuer', out.iss);
        if (out.verdict !== undefined) out.verdict = this.table.text(out.verdict);
        return out;
      }
      case 'finding': return { ...r, f: { ...r.f, msg: this.table.text(r.f.msg) } };
      case 'close': return r.end.by === 'error' ? { ...r, end: { ...r.end, msg: this.table.text(r.end.msg) } } : r;
      case 'frame': return this.frameRecord(r);
      default: return r;
    }
  }

  private streamRecord(r: StreamRecord): StreamRecord {
    return { ...r, cip: this.table.ip(Buffer.from(r.cip, 'hex')).toString('hex'), sip: this.table.ip(Buffer.from(r.sip, 'hex')).toString('hex') };
  }

  private frameRecord(r: FrameRecord): FrameRecord {
    const frame: Frame = frameOf(r);
    const out: FrameRecord = { ...r, parts: r.parts.map((p) => ('line' in p ? { line: { ...p.line } } : { lit: { ...p.lit } })) };
    for (const span of this.planner.plan(frame)) {
      const part = out.parts[span.part];
      if ('line' in part && span.start !== undefined && span.end !== undefined) {
        const x = part.line.x;
        const stop = Math.min(span.end, x.length);
        if (stop <= span.start) continue;
        const p: Patch = { start: span.streamStart, end: span.streamEnd, what: span.action };
        const text = this.replacement(p, span.streamStart, Buffer.from(x.slice(span.start, stop), 'latin1')).toString('latin1');
        part.line.x = x.slice(0, span.start) + text + x.slice(stop);
      } else if ('lit' in part) {
        const lit = part.lit;
        const body = this.literals.get(`${r.s}/${r.d === 'c' ? 'client' : 'server'}@${span.streamStart}`);
        const p: Patch = { start: span.streamStart, end: span.streamEnd, what: span.action, literal: body };
        lit.pre = this.replacement(p, span.streamStart, Buffer.from(lit.pre, 'latin1')).toString('latin1');
        lit.sha = '';
      }
    }
    out.ann = r.ann.map((a) => {
      if ('finding' in a) return { finding: { ...a.finding, msg: this.table.text(a.finding.msg) } };
      if ('note' in a) return { note: this.table.text(a.note) };
      if ('phase' in a && a.detail) {
        const detail: Record<string, string | number | boolean> = {};
        for (const [k, v] of Object.entries(a.detail)) {
          detail[k] = typeof v !== 'string' ? v : /mailbox|^(name|decoded|from|to)$/i.test(k) ? this.table.mailbox(v) : this.table.text(v);
        }
        return { ...a, detail };
      }
      return a;
    });
    return out;
  }

  private movedIndex(index: CaptureIndex): CaptureIndex {
    const move = (offset: number): number => {
      let delta = 0;
      let lo = 0;
      let hi = this.moves.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (this.moves[mid][0] <= offset) { delta = this.moves[mid][1]; lo = mid + 1; } else hi = mid - 1;
      }
      return offset + delta;
    };
    return {
      sessions: index.sessions.map((s) => ({
        ...s,
        ranges: s.ranges.map(([a, b]): [number, number] => [move(a), move(b)]),
        ...(s.streams ? { streams: s.streams.map((r) => this.streamRecord(r)) } : {}),
        ...(s.marks ? { marks: s.marks.map((m) => ({ ...m, marks: m.marks.map(([so, fo]): [number, number] => [so, move(fo)]) })) } : {}),
      })),
    };
  }

  private emit(buf: Buffer): void {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.written += buf.length;
    if (this.pendingBytes >= 1024 * 1024) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const all = Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    while (at < all.length) at += writeSync(this.fd, all, at, all.length - at);
    this.pending = [];
    this.pendingBytes = 0;
  }
}
