import { open, type FileHandle } from 'node:fs/promises';
import type { Direction } from '../../imap/frame';
import type { DataLayer, ProxyEvent } from '../../imap/events';
import { CaptureError, type CaptureReadOptions, type CaptureReadResult } from '../capture-error';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../format';
import { BlockSource, type Block } from './block-source';
import {
  BLOCK_CUSTOM_COPY, BLOCK_CUSTOM_NOCOPY, BLOCK_EPB, BLOCK_SHB, BYTE_ORDER_MAGIC, forEachOption, OPT_CUSTOM_BINARY_COPY, pad4,
  parseImapdbgPayload, PAYLOAD_HEADER, PAYLOAD_INDEX, PAYLOAD_RECORDS,
} from './pcapng-blocks';
import { PCAPNG_CAPTURE_FORMAT, PCAPNG_CAPTURE_VERSION, type PcapngHeaderRecord } from './pcapng-format';
import { eventOfRecord, METADATA_VERSION, recordShapeProblem, type MetadataRecord, type StreamLayerCode, type StreamRecord } from './metadata-records';
import { upgradeMetadataRecord } from './metadata-upgrade';
import { parseIndex, type CaptureIndex, type SessionRanges } from './session-index';
import { connectionKey, pushes, tcpPacketView } from './packet-view';

export interface PcapngReadOptions extends CaptureReadOptions {
  /** Only this session's events; with the file's index, only its blocks are read. */
  session?: number;
  /** False: no data events, packet payloads are skipped (lint, stats, text export need only metadata). */
  data?: boolean;
  /**
   * With `session` and the file's index: start at the index's last seek point at or before this
   * offset of one stream instead of the session's first block (events before it are not delivered:
   * for readers of byte ranges, with `packets`).
   */
  near?: { layer: DataLayer; direction: Direction; offset: number };
  /** Called for each payload-carrying packet of a known session, with where its payload sits; 'stop' ends the read. */
  packets?: (place: PacketPlace) => void | 'stop';
}

/** Where one packet's payload is, in the file and in its session's stream. */
export interface PacketPlace {
  session: number;
  layer: DataLayer;
  direction: Direction;
  /** File offset of the payload's first byte. */
  fileOffset: number;
  /** Offset of that byte in its direction's stream (bytes of that layer before it). */
  streamOffset: number;
  length: number;
}

export interface PcapngReadResult extends CaptureReadResult {
  pcapng: {
    version: number;
    /** The file ends with its index (it was closed, not killed). */
    indexed: boolean;
    /** The read seeked through the index instead of scanning the file. */
    seeked: boolean;
  };
}

/** A data event is handed out when its last segment (PSH) arrives, or once this big (bounds a hostile file). */
const MAX_DATA_EVENT = 16 * 1024 * 1024;
/** Bytes walked between two progress reports. */
const PROGRESS_EVERY = 1024 * 1024;
/** Payloads this small are copied out of the read window, so a kept event does not pin the whole window. */
const COPY_BELOW = 16 * 1024;

type OnEvent = (event: ProxyEvent) => void | Promise<void>;

interface StreamEnd {
  session: number;
  layer: DataLayer;
  direction: Direction;
}

interface PartialData {
  end: StreamEnd;
  timeUs: number;
  chunks: Buffer[];
  bytes: number;
}

/**
 * Reads an imapdbg pcapng capture (pcapng-format.ts) as the event stream the proxy produced. A file
 * cut inside its last block (a killed writer) is read up to the last whole block (`truncated`).
 * Refused with one CaptureError line: a file that is not pcapng, a pcapng file imapdbg did not write
 * (no imapdbg section header: its packets carry no frames, findings or session facts, and rebuilding
 * IMAP sessions from foreign TCP traffic is Wireshark's job: `tshark -z follow` then `imapdbg import`),
 * a newer version, and a corrupt block (after the events before it).
 */
export async function readPcapngCapture(path: string, onEvent: OnEvent, options: PcapngReadOptions = {}): Promise<PcapngReadResult> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new CaptureError(`cannot read capture ${path}: ${(err as Error).message}`);
  }
  try {
    const size = (await file.stat()).size;
    return await new PcapngWalk(path, new BlockSource(file, size), onEvent, options).read();
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    // A file that changed size under the reader, or a block the checks let through by mistake.
    throw new CaptureError(`${path}: unreadable capture (${(err as Error).message})`);
  } finally {
    await file.close();
  }
}

class PcapngWalk {
  private readonly streams = new Map<string, StreamEnd>();
  private readonly partial = new Map<string, PartialData>();
  /** Payload bytes seen so far per connection side, for PacketPlace.streamOffset. */
  private readonly streamOffsets = new Map<string, number>();
  private truncated = false;
  private stopped = false;
  private readonly wantData: boolean;

  constructor(private readonly path: string, private readonly source: BlockSource, private readonly onEvent: OnEvent,
    private readonly options: PcapngReadOptions) {
    this.wantData = options.data !== false;
  }

  async read(): Promise<PcapngReadResult> {
    const { header, end } = await this.sectionHeader();
    const result = (indexed: boolean, seeked: boolean): PcapngReadResult => ({
      header: { r: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, createdUs: header.createdUs, tool: header.tool },
      truncated: this.truncated,
      pcapng: { version: header.version, indexed, seeked },
    });
    const index = await this.trailingIndex(end);
    if (index && this.options.session !== undefined) {
      const ranges = index.sessions.find((s) => s.id === this.options.session)?.ranges;
      // A session the complete index does not list is not in the file; a session it left out (too
      // many ranges) is found by scanning.
      if (ranges || !index.sessions.some((s) => s.id === this.options.session)) {
        const start = this.seekPoint(index.sessions.find((s) => s.id === this.options.session));
        for (const [from, to] of ranges ?? []) if (to > start) await this.walk(Math.max(from, start), to);
        await this.flushPartials();
        return result(true, true);
      }
    }
    await this.walk(end, this.source.size);
    await this.flushPartials();
    return result(index !== undefined, false);
  }

  /** File offset to start a session's walk at: its first block, or the seek point `near` asks for. */
  private seekPoint(entry: SessionRanges | undefined): number {
    const near = this.options.near;
    if (!entry || !near || !entry.streams || !entry.marks) return 0;
    const side = entry.marks.find((m) => m.layer === streamLayerCode(near.layer) && m.dir === (near.direction === 'client' ? 'c' : 's'));
    const mark = side?.marks.filter(([streamOffset]) => streamOffset <= near.offset).pop();
    const stream = entry.streams.find((r) => r.layer === streamLayerCode(near.layer));
    if (!mark || !stream) return 0;
    for (const record of entry.streams) this.addStream(record);
    const key = near.direction === 'client' ? connectionKey(stream.if, stream.cip, stream.cp, stream.sip, stream.sp)
      : connectionKey(stream.if, stream.sip, stream.sp, stream.cip, stream.cp);
    this.streamOffsets.set(key, mark[0]);
    return mark[1];
  }

  private fail(message: string): never {
    throw new CaptureError(`${this.path}: ${message}`);
  }

  private async sectionHeader(): Promise<{ header: PcapngHeaderRecord; end: number }> {
    const size = this.source.size;
    if (size === 0) this.fail('empty file, not a capture');
    const first = await this.source.bytesAt(0, Math.min(size, 12));
    if (first.length < 4 || first.readUInt32LE(0) !== BLOCK_SHB) this.fail('not a pcapng capture (no section header block at the start)');
    if (first.length >= 12 && first.readUInt32BE(8) === BYTE_ORDER_MAGIC) this.fail('a big-endian pcapng file, not written by imapdbg (it writes little-endian)');
    if (first.length < 12 || first.readUInt32LE(8) !== BYTE_ORDER_MAGIC) this.fail('not a pcapng capture (bad byte-order magic)');
    const block = await this.source.blockAt(0, () => false);
    if ('cut' in block) this.fail('the file ends inside its section header: nothing to read');
    if ('corrupt' in block) this.fail(block.corrupt);
    let header: PcapngHeaderRecord | undefined;
    forEachOption(block.bytes.subarray(24, block.length - 4), (code, value) => {
      if (code !== OPT_CUSTOM_BINARY_COPY || header) return;
      const payload = parseImapdbgPayload(value);
      if (!payload || payload.kind !== PAYLOAD_HEADER) return;
      try {
        const h = JSON.parse(payload.body.toString('utf8')) as Partial<PcapngHeaderRecord>;
        if (h.format === PCAPNG_CAPTURE_FORMAT && typeof h.version === 'number' && typeof h.createdUs === 'number' && typeof h.tool === 'string') {
          header = h as PcapngHeaderRecord;
        }
      } catch { /* not ours after all: reported below */ }
    });
    if (!header) {
      this.fail('a pcapng file without imapdbg metadata (not written by imapdbg, or rewritten by a tool that dropped its section header options); open it in Wireshark, or extract a session with `tshark -z follow,tcp,raw,N`');
    }
    if (header.version > PCAPNG_CAPTURE_VERSION) {
      this.fail(`capture format version ${header.version} is newer than this imapdbg reads (up to ${PCAPNG_CAPTURE_VERSION}); upgrade imapdbg`);
    }
    return { header, end: block.length };
  }

  /** The index block at the end of the file, if the writer closed it; anything else reads as none. */
  private async trailingIndex(firstBlock: number): Promise<CaptureIndex | undefined> {
    const size = this.source.size;
    if (size < firstBlock + 12 || size % 4 !== 0) return undefined;
    const length = (await this.source.bytesAt(size - 4, 4)).readUInt32LE(0);
    if (length < 12 || length > size - firstBlock) return undefined;
    const block = await this.source.blockAt(size - length, () => false);
    if (!('type' in block) || block.type !== BLOCK_CUSTOM_NOCOPY) return undefined;
    const payload = parseImapdbgPayload(block.bytes.subarray(8, block.length - 4));
    if (!payload || payload.kind !== PAYLOAD_INDEX) return undefined;
    return parseIndex(payload.body.toString('utf8').replace(/\0+$/, ''));
  }

  private async walk(from: number, to: number): Promise<void> {
    let offset = from;
    // Progress is told once per MiB walked (a call per block would cost more than small blocks do).
    const progress = this.options.onProgress;
    let told = offset;
    // Skim packets when their payload is not wanted: only the head and options are read.
    const skim = (): boolean => true;
    while (offset < to && !this.stopped) {
      const block = await this.source.blockAt(offset, skim);
      if ('cut' in block) { this.truncated = true; return; }
      if ('corrupt' in block) {
        await this.flushPartials();
        this.fail(`${block.corrupt} (events before it were read)`);
      }
      await this.handleBlock(block);
      offset += block.length;
      if (progress && offset - told >= PROGRESS_EVERY) {
        told = offset;
        progress(offset, this.source.size);
      }
    }
    progress?.(offset, this.source.size);
  }

  private async handleBlock(block: Block): Promise<void> {
    switch (block.type) {
      case BLOCK_EPB: {
        const caplen = block.bytes.readUInt32LE(20);
        const options = block.whole ? block.bytes.subarray(28 + pad4(caplen), block.length - 4) : block.options;
        if (options && options.length > 0) {
          const bodies: Array<{ body: Buffer; version: number }> = [];
          forEachOption(options, (code, value) => {
            if (code !== OPT_CUSTOM_BINARY_COPY) return;
            const payload = parseImapdbgPayload(value);
            if (payload && payload.kind === PAYLOAD_RECORDS) bodies.push(payload);
          });
          for (const body of bodies) await this.records(body.body, body.version, block.offset);
        }
        await this.packet(block);
        return;
      }
      case BLOCK_CUSTOM_COPY:
      case BLOCK_CUSTOM_NOCOPY: {
        const payload = parseImapdbgPayload(block.bytes.subarray(8, block.length - 4));
        if (payload && payload.kind === PAYLOAD_RECORDS) await this.records(payload.body, payload.version, block.offset);
        return; // the index, or someone else's custom block
      }
      case BLOCK_SHB:
        this.fail(`a second section header at offset ${block.offset} (concatenated captures are not read; split them with editcap)`);
        break;
      default:
        // Interface descriptions (ours are fixed) and any block type imapdbg does not use.
        return;
    }
  }

  private async records(body: Buffer, version: number, offset: number): Promise<void> {
    if (version > METADATA_VERSION) {
      this.fail(`metadata version ${version} in the block at offset ${offset} is newer than this imapdbg reads (up to ${METADATA_VERSION}); upgrade imapdbg`);
    }
    // Custom blocks are padded with zero bytes to 32 bits: they are not records.
    const text = body.toString('utf8').replace(/\0+$/, '');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        this.fail(`metadata in the block at offset ${offset} is not JSON`);
      }
      const upgraded = upgradeMetadataRecord(value, Math.max(1, version));
      const problem = recordShapeProblem(upgraded);
      if (problem) this.fail(`block at offset ${offset}: ${problem}`);
      const record = upgraded as MetadataRecord;
      if (record.k === 'stream') {
        this.addStream(record);
        // A new connection on the same addresses (port reuse) starts its streams at offset 0.
        this.streamOffsets.delete(connectionKey(record.if, record.cip, record.cp, record.sip, record.sp));
        this.streamOffsets.delete(connectionKey(record.if, record.sip, record.sp, record.cip, record.cp));
        continue;
      }
      if (this.options.session !== undefined && record.s !== this.options.session) continue;
      const event = eventOfRecord(record);
      if (event) await this.onEvent(event);
    }
  }

  private addStream(record: StreamRecord): void {
    const layer = dataLayerOf(record.layer);
    this.streams.set(connectionKey(record.if, record.cip, record.cp, record.sip, record.sp), { session: record.s, layer, direction: 'client' });
    this.streams.set(connectionKey(record.if, record.sip, record.sp, record.cip, record.cp), { session: record.s, layer, direction: 'server' });
  }

  private async packet(block: Block): Promise<void> {
    if (!this.wantData && !this.options.packets) return;
    const view = tcpPacketView(block.bytes);
    if (!view || view.payloadLength === 0) return;
    const end = this.streams.get(view.key);
    if (!end || (this.options.session !== undefined && end.session !== this.options.session)) return;
    if (this.options.packets) {
      const streamOffset = this.streamOffsets.get(view.key) ?? 0;
      this.streamOffsets.set(view.key, streamOffset + view.payloadLength);
      const verdict = this.options.packets({ session: end.session, layer: end.layer, direction: end.direction,
        fileOffset: block.offset + view.payloadAt, streamOffset, length: view.payloadLength });
      if (verdict === 'stop') this.stopped = true;
    }
    if (!this.wantData) return;
    let payload = block.whole
      ? block.bytes.subarray(view.payloadAt, view.payloadAt + view.payloadLength)
      : await this.source.bytesAt(block.offset + view.payloadAt, view.payloadLength);
    if (payload.length < COPY_BELOW) payload = Buffer.from(payload);
    let partial = this.partial.get(view.key);
    if (!partial) {
      partial = { end, timeUs: view.timeUs, chunks: [], bytes: 0 };
      this.partial.set(view.key, partial);
    }
    partial.chunks.push(payload);
    partial.bytes += payload.length;
    if (pushes(view) || partial.bytes >= MAX_DATA_EVENT) {
      this.partial.delete(view.key);
      await this.emitData(partial);
    }
  }

  private async emitData(p: PartialData): Promise<void> {
    const bytes = p.chunks.length === 1 ? p.chunks[0] : Buffer.concat(p.chunks, p.bytes);
    await this.onEvent({ type: 'data', session: p.end.session, direction: p.end.direction, timeUs: p.timeUs, bytes, layer: p.end.layer });
  }

  /** Segments of a chunk whose last one never came (a cut file) are still the bytes that were sent. */
  private async flushPartials(): Promise<void> {
    const partials = [...this.partial.values()];
    this.partial.clear();
    for (const p of partials) await this.emitData(p);
  }
}

function streamLayerCode(layer: DataLayer): StreamLayerCode {
  return layer === 'wire' ? 'w' : layer === 'inflated' ? 'i' : 'd';
}

function dataLayerOf(code: StreamLayerCode): DataLayer {
  return code === 'w' ? 'wire' : code === 'i' ? 'inflated' : 'delivered';
}
