import type { Direction } from '../../imap/frame';
import type { DataLayer, EventSink, ProxyEvent, SessionInfo } from '../../imap/events';
import { openCaptureFile, type CaptureOpenOptions } from '../capture-writer';
import { CAPTURE_HIGH_WATER, CaptureFileOutput } from '../capture-file-output';
import { withSecretsOverwritten } from '../record-encoding';
import {
  BLOCK_CUSTOM_COPY, BLOCK_CUSTOM_NOCOPY, BLOCK_EPB, encodeCustomBlock, encodeInterface, encodeOption, encodeSectionHeader,
  imapdbgOptionLength, imapdbgPayload, OPT_COMMENT, OPT_CUSTOM_BINARY_COPY, OPT_IF_DESCRIPTION, OPT_IF_NAME, OPT_SHB_USERAPPL, pad4,
  PAYLOAD_HEADER, PAYLOAD_INDEX, PAYLOAD_RECORDS, writeImapdbgOptionHead,
} from './pcapng-blocks';
import { DELIVERED_INTERFACE, INFLATED_INTERFACE, PCAPNG_CAPTURE_FORMAT, PCAPNG_CAPTURE_VERSION, WIRE_INTERFACE, type PcapngHeaderRecord } from './pcapng-format';
import { METADATA_VERSION, recordOfEvent, writeFrameRecord, type StreamLayerCode, type StreamRecord } from './metadata-records';
import { RecordBytes } from './record-bytes';
import { MARK_EVERY, SessionIndexBuilder } from './session-index';
import { deliveredAddresses, inflatedAddresses, syntheticAddresses } from './synthetic-addresses';
import { SyntheticTcpConnection, type Segment } from './synthetic-tcp';

/** Above this many queued bytes the writer asks the proxy to pause reading (as CaptureWriter). */
export const PCAPNG_HIGH_WATER = CAPTURE_HIGH_WATER;
/** Metadata waiting for a packet to ride on is written as a custom block at most this long after the last event. */
export const METADATA_IDLE_FLUSH_MS = 500;
/** An option value is at most 65535 bytes: records beyond this go into a custom block instead. */
const MAX_OPTION_RECORDS = 60_000;
/** Pending records are written as a block once they reach this size. */
const MAX_PENDING_RECORDS = 256 * 1024;
/** EPB fixed part: type, length, interface, timestamp (2), captured and original length. */
const EPB_HEAD = 28;
/** A held packet's bytes are copied into one reused buffer up to this size (a bigger chunk gets its own copy). */
const HELD_COPY_MAX = 1024 * 1024;
/** A finding comment longer than this is cut (peers' text is bounded before it is stored). */
const MAX_COMMENT = 1000;

type Layer = DataLayer;

/** Per layer: its interface, stream layer code, addresses from the wire ones, and a seed for distinct ISNs. */
const LAYERS: Readonly<Record<Layer, { iface: number; code: StreamLayerCode; addresses: (wire: ReturnType<typeof syntheticAddresses>) => ReturnType<typeof syntheticAddresses>; seed: (session: number) => number }>> = {
  wire: { iface: WIRE_INTERFACE, code: 'w', addresses: (w) => w, seed: (s) => s * 2 },
  inflated: { iface: INFLATED_INTERFACE, code: 'i', addresses: inflatedAddresses, seed: (s) => s * 2 + 1 },
  delivered: { iface: DELIVERED_INTERFACE, code: 'd', addresses: deliveredAddresses, seed: (s) => 0x4000000 + s },
};

interface Connection {
  tcp: SyntheticTcpConnection;
  iface: number;
  session: number;
  layer: StreamLayerCode;
  /** Stream offset of each direction's last index mark. */
  lastMark: Record<Direction, number>;
}

/** The last data event, kept back until the next event so a frame's findings can go on its packet. */
interface HeldPacket {
  session: number;
  direction: Direction;
  timeUs: number;
  conn: Connection;
  segments: Segment[];
  /** Records to ride on its first segment. */
  options: PendingOptions;
  /** Findings to show on a segment (by its index), made only when there are some. */
  comments: Map<number, string[]> | undefined;
}

/** A metadata record: where its JSON line (newline included) starts in its RecordBytes, its length, its session. */
interface PendingLine {
  start: number;
  bytes: number;
  session: number;
}

/** Metadata records to ride on a packet as options, and the sessions they belong to (each once). */
interface PendingOptions {
  /** The buffer the lines are in (a RecordBytes' buffer, left alone until these are written). */
  stage: Buffer;
  lines: readonly PendingLine[];
  sessions: readonly number[];
}

/** What a packet without metadata carries (shared: the common case allocates nothing). */
const NO_OPTIONS: PendingOptions = Object.freeze({ stage: Buffer.alloc(0), lines: Object.freeze([]), sessions: Object.freeze([]) });

/** As for the JSON Lines writer: `--force`, what to do when writing fails, where writes happen. */
export type PcapngWriterOptions = CaptureOpenOptions;

/**
 * Writes the event stream as a pcapng capture (pcapng-format.ts), block by block as events happen:
 * a killed process leaves a file that tshark and imapdbg read up to its last whole block. Packet
 * payloads are copied once, into the output's slabs (capture-file-output.ts), with their header
 * before and a small trailer after. Created 0600, exclusively unless
 * `overwrite`, never through a symbolic link (capture-writer.ts openCaptureFile): it holds the raw
 * bytes, secrets included.
 */
export class PcapngCaptureWriter implements EventSink {
  private readonly out: CaptureFileOutput;
  private position = 0;
  private readonly sessions = new Map<number, SessionInfo>();
  private readonly connections = new Map<string, Connection>();
  /** The connection the last event used: most events belong to the same session and layer. */
  private lastConnection: Connection | undefined;
  private held: HeldPacket | undefined;
  private heldBuffer = Buffer.alloc(0);
  /** Records waiting for a packet or a block, as JSON lines in `stage`. */
  private pending: PendingLine[] = [];
  private pendingBytes = 0;
  /**
   * Records are encoded into one of two buffers: the lines taken for a packet stay in theirs until
   * it is written (the held packet goes out before the next take), while new ones go into the other.
   */
  private stage = new RecordBytes();
  private spareStage = new RecordBytes();
  private readonly index = new SessionIndexBuilder();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Events so far: the idle flush looks whether this moved since it last fired (no clock read per event). */
  private events = 0;
  /** Findings of frames published before the data that carries their last byte (the proxy frames, then records). */
  private awaitingData: Array<{ session: number; direction: Direction; lastByte: number; comments: string[] }> = [];
  private closing = false;
  /** Findings whose frame's last byte was not in the packet held back (they stay in the metadata only). */
  unplacedComments = 0;

  constructor(readonly path: string, tool: string, createdUs: number, options: PcapngWriterOptions = {}) {
    this.out = new CaptureFileOutput(openCaptureFile(path, options.overwrite === true), { onError: options.onError, mode: options.writeMode });
    const header: PcapngHeaderRecord = { format: PCAPNG_CAPTURE_FORMAT, version: PCAPNG_CAPTURE_VERSION, createdUs, tool };
    this.writeBlock([encodeSectionHeader([
      encodeOption(OPT_SHB_USERAPPL, Buffer.from(tool, 'utf8')),
      encodeOption(OPT_CUSTOM_BINARY_COPY, imapdbgPayload(PAYLOAD_HEADER, PCAPNG_CAPTURE_VERSION, Buffer.from(JSON.stringify(header), 'utf8'))),
    ])]);
    this.writeBlock([encodeInterface([
      encodeOption(OPT_IF_NAME, Buffer.from('imapdbg-wire')),
      encodeOption(OPT_IF_DESCRIPTION, Buffer.from('IMAP bytes each peer sent, as forwarded (decrypted after TLS), on a synthetic TCP connection per session')),
    ])]);
    this.writeBlock([encodeInterface([
      encodeOption(OPT_IF_NAME, Buffer.from('imapdbg-inflated')),
      encodeOption(OPT_IF_DESCRIPTION, Buffer.from('COMPRESS=DEFLATE sessions inflated: same hosts, client port XOR 0x8000')),
    ])]);
    this.writeBlock([encodeInterface([
      encodeOption(OPT_IF_NAME, Buffer.from('imapdbg-delivered')),
      encodeOption(OPT_IF_DESCRIPTION, Buffer.from('sessions imapdbg changed (rules, intercept, scripts): the bytes each peer received, injected ones included; same hosts, client port XOR 0xC000')),
    ])]);
  }

  /** The first write error, if any (a full disk must not take the proxy down: recording stops). */
  get error(): Error | undefined {
    return this.out.error;
  }

  get congested(): boolean {
    return this.out.congested;
  }

  whenDrained(): Promise<void> {
    return this.out.whenDrained();
  }

  handle(event: ProxyEvent): void {
    if (this.out.error || this.closing) return;
    switch (event.type) {
      case 'data':
        this.data(event.session, event.layer, event.direction, event.timeUs, event.bytes, event.insideLiteral === true);
        break;
      case 'session-open':
        this.flushHeld();
        this.sessions.set(event.session.id, event.session);
        this.queueJson(JSON.stringify(recordOfEvent(event)), event.session.id);
        this.connection(event.session.id, 'wire', event.session.startUs);
        break;
      case 'frame': {
        const frame = withSecretsOverwritten(event.frame);
        let comments: string[] | undefined;
        for (const a of frame.annotations) {
          if (a.kind !== 'finding') continue;
          const f = a.finding;
          (comments ??= []).push(`imapdbg ${f.level} ${f.code} (${f.rfc}): ${f.message}`.slice(0, MAX_COMMENT));
        }
        if (comments) this.placeComments(frame.session, frame.direction, frame.offset + Math.max(frame.length, 1) - 1, comments);
        const start = this.stage.length;
        try {
          writeFrameRecord(frame, this.stage);
        } catch (err) {
          // Nothing half-written may stay: the stage must hold exactly the pending lines.
          this.stage.length = start;
          throw err;
        }
        this.queued(start, frame.session);
        break;
      }
      case 'finding':
      case 'tls':
      case 'intervention':
        this.queueJson(JSON.stringify(recordOfEvent(event)), event.session);
        break;
      case 'session-close':
        this.flushHeld();
        this.queueJson(JSON.stringify(recordOfEvent(event)), event.session);
        this.closeConnections(event.session, event);
        break;
      default: {
        const never: never = event;
        return never;
      }
    }
    this.armIdleFlush();
  }

  /** Write everything held back, the index, and close the file. */
  close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (!this.closing && !this.out.error) {
      this.flushHeld();
      this.flushPendingBlock();
      const index = Buffer.from(JSON.stringify(this.index.build()), 'utf8');
      this.writeBlock([encodeCustomBlock(BLOCK_CUSTOM_NOCOPY, imapdbgPayload(PAYLOAD_INDEX, PCAPNG_CAPTURE_VERSION, index))]);
    }
    this.closing = true;
    return this.out.close();
  }

  private data(session: number, layer: Layer, direction: Direction, timeUs: number, bytes: Buffer, insideLiteral: boolean): void {
    this.flushHeld();
    if (bytes.length === 0) return;
    const conn = this.connection(session, layer, timeUs);
    const options = this.takePendingOptions();
    if (insideLiteral && !this.awaitingData.some((w) => w.session === session && w.direction === direction)) {
      // The middle of a literal: no frame ends here, so no finding will come for these packets.
      const segments = conn.tcp.data(direction, bytes);
      for (let i = 0; i < segments.length; i++) this.writePacket(conn, timeUs, segments[i], i === 0 ? options : NO_OPTIONS, session);
      return;
    }
    // Held until the next event: a copy, as the bytes are lent for this call only (events.ts).
    const held: HeldPacket = { session, direction, timeUs, conn, segments: conn.tcp.data(direction, this.heldCopy(bytes)),
      options, comments: undefined };
    this.held = held;
    if (this.awaitingData.length > 0) {
      this.awaitingData = this.awaitingData.filter((w) => w.session !== session || w.direction !== direction
        || !this.commentHeld(held, w.lastByte, w.comments));
    }
  }

  /** A copy of bytes to hold back, in a buffer reused from one held packet to the next (one is held at most). */
  private heldCopy(bytes: Buffer): Buffer {
    if (bytes.length > HELD_COPY_MAX) return Buffer.from(bytes);
    if (this.heldBuffer.length < bytes.length) this.heldBuffer = Buffer.allocUnsafeSlow(Math.max(bytes.length, 64 * 1024));
    bytes.copy(this.heldBuffer);
    return this.heldBuffer.subarray(0, bytes.length);
  }

  /** The connection of a session's layer, opened (records + handshake) on first use. */
  private connection(session: number, layer: Layer, timeUs: number): Connection {
    // Most events belong to the session and layer of the one before: no key string for them.
    const last = this.lastConnection;
    if (last && last.session === session && last.layer === LAYERS[layer].code) return last;
    const key = `${session}/${layer}`;
    let conn = this.connections.get(key);
    if (conn) { this.lastConnection = conn; return conn; }
    // Data of a session whose opening this writer never saw (a converted, cut capture) gets made-up ends.
    const info = this.sessions.get(session) ?? { client: `192.0.2.1:${40000 + (session % 20000)}`, upstream: '192.0.2.2:143' };
    const shape = LAYERS[layer];
    // A server named by host name (SOCKS5) still has the address imapdbg really connected to.
    const addresses = shape.addresses(syntheticAddresses(info.client, ('upstreamAddress' in info ? info.upstreamAddress : undefined) ?? info.upstream));
    const iface = shape.iface;
    conn = { tcp: new SyntheticTcpConnection(addresses, shape.seed(session)), iface, session,
      layer: shape.code, lastMark: { client: -Infinity, server: -Infinity } };
    this.connections.set(key, conn);
    this.lastConnection = conn;
    const stream: StreamRecord = { k: 'stream', s: session, layer: shape.code, if: iface,
      cip: addresses.clientIp.toString('hex'), cp: addresses.clientPort, sip: addresses.serverIp.toString('hex'), sp: addresses.serverPort };
    this.queueJson(JSON.stringify(stream), session);
    this.index.stream(stream);
    const options = this.takePendingOptions();
    conn.tcp.handshake().forEach((seg, i) => this.writePacket(conn!, timeUs, seg, i === 0 ? options : NO_OPTIONS, session));
    return conn;
  }

  private closeConnections(session: number, event: Extract<ProxyEvent, { type: 'session-close' }>): void {
    const end = event.end;
    let first = true;
    for (const layer of ['wire', 'inflated', 'delivered'] as const) {
      const key = `${session}/${layer}`;
      const conn = this.connections.get(key) ?? (layer === 'wire' ? this.connection(session, 'wire', event.timeUs) : undefined);
      if (!conn) continue;
      this.connections.delete(key);
      if (this.lastConnection === conn) this.lastConnection = undefined;
      // How the session really ended: the side that closed sends the first FIN; an error is an RST
      // from the side whose socket failed (the proxy's own errors: from the server's side, which
      // the proxy stood in for). A proxy shutdown closed both legs: FIN from the server's side first.
      const segments = end.by === 'client-closed' ? conn.tcp.finish('client')
        : end.by === 'server-closed' || end.by === 'proxy-shutdown' ? conn.tcp.finish('server')
          : conn.tcp.reset(end.side === 'client' ? 'client' : 'server');
      segments.forEach((seg) => {
        const options = first ? this.takePendingOptions() : NO_OPTIONS;
        first = false;
        this.writePacket(conn, event.timeUs, seg, options, session);
      });
    }
    this.sessions.delete(session);
    const before = this.awaitingData.length;
    this.awaitingData = this.awaitingData.filter((w) => w.session !== session);
    this.unplacedComments += before - this.awaitingData.length;
  }

  /** Lint findings become opt_comment on the held packet's segment that carries the frame's last byte. */
  private placeComments(session: number, direction: Direction, lastByte: number, comments: string[]): void {
    const h = this.held;
    if (h && h.session === session && h.direction === direction && this.commentHeld(h, lastByte, comments)) return;
    // Not in the packet just seen: the frame came before its bytes; they follow (bounded wait list).
    this.awaitingData.push({ session, direction, lastByte, comments });
    if (this.awaitingData.length > 64) this.unplacedComments += this.awaitingData.shift()!.comments.length;
  }

  private commentHeld(h: HeldPacket, lastByte: number, comments: string[]): boolean {
    const i = h.segments.findIndex((s) => lastByte >= s.streamOffset && lastByte < s.streamOffset + s.payload.length);
    if (i < 0) return false;
    h.comments ??= new Map();
    h.comments.set(i, [...(h.comments.get(i) ?? []), ...comments]);
    return true;
  }

  /** A record, as its JSON text, to ride on the next packet (or in a block). */
  private queueJson(json: string, session: number): void {
    // The JSON is made before anything goes into the stage: a throw leaves it as it was.
    const start = this.stage.length;
    this.stage.utf8(json);
    this.queued(start, session);
  }

  /** The record just encoded into the stage from `start` on gets its newline and waits for a packet (or a block). */
  private queued(start: number, session: number): void {
    this.stage.ascii('\n');
    const bytes = this.stage.length - start;
    if (bytes > MAX_OPTION_RECORDS) {
      // Too big to ride on a packet (an option holds at most 64 KiB): the records before it go out
      // as a block, then it as a block of its own (so the index keeps their sessions apart).
      this.flushHeld();
      this.flushPendingBlock();
    }
    // Where it starts now: the block just written took the bytes before it off the stage's front.
    this.pending.push({ start: this.stage.length - bytes, bytes, session });
    this.pendingBytes += bytes;
    if (bytes > MAX_OPTION_RECORDS || this.pendingBytes >= MAX_PENDING_RECORDS) {
      this.flushHeld();
      this.flushPendingBlock();
    }
  }

  /** The pending records, to go as EPB custom options on the next packet. */
  private takePendingOptions(): PendingOptions {
    if (this.pending.length === 0) return NO_OPTIONS;
    const lines = this.pending;
    const options: PendingOptions = { stage: this.stage.buffer, lines, sessions: sessionsOf(lines) };
    // Every take follows a flushHeld: the spare stage's lines are written by now.
    const taken = this.stage;
    this.stage = this.spareStage;
    this.spareStage = taken;
    this.stage.reset();
    this.pending = [];
    this.pendingBytes = 0;
    return options;
  }

  private flushHeld(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    for (let i = 0; i < h.segments.length; i++) {
      this.writePacket(h.conn, h.timeUs, h.segments[i], i === 0 ? h.options : NO_OPTIONS, h.session, h.comments?.get(i));
    }
  }

  /** The pending records as one block. The stage may hold one more record after them (see queued): it stays. */
  private flushPendingBlock(): void {
    if (this.pending.length === 0) return;
    const sessions = sessionsOf(this.pending);
    const last = this.pending[this.pending.length - 1];
    const end = last.start + last.bytes;
    // The pending lines are the stage's first bytes, in order: imapdbgPayload copies them.
    const body = this.stage.buffer.subarray(0, end);
    this.pending = [];
    this.pendingBytes = 0;
    this.writeBlock([encodeCustomBlock(BLOCK_CUSTOM_COPY, imapdbgPayload(PAYLOAD_RECORDS, METADATA_VERSION, body))], sessions);
    this.stage.dropFront(end);
  }

  /**
   * Held metadata goes out as a block at most METADATA_IDLE_FLUSH_MS after the last event: the
   * timer fires every half of that, and flushes when no event came since it last fired. It is not
   * re-armed per event, nor is a clock read per event (a chunk of a big literal is an event, a NOOP
   * round trip four): it only looks whether the event count moved.
   */
  private armIdleFlush(): void {
    this.events++;
    if (this.idleTimer || (!this.held && this.pending.length === 0)) return;
    let seen = this.events;
    const fire = (): void => {
      if (this.events !== seen) {
        seen = this.events;
        this.idleTimer = setTimeout(fire, METADATA_IDLE_FLUSH_MS / 2).unref();
        return;
      }
      this.idleTimer = undefined;
      if (this.closing || this.out.error) return;
      this.flushHeld();
      this.flushPendingBlock();
    };
    this.idleTimer = setTimeout(fire, METADATA_IDLE_FLUSH_MS / 2).unref();
  }

  /**
   * One EPB, written in place into the output: block head, packet headers, payload (its one copy),
   * padding, then options: lint comments, and metadata records in batches of at most
   * MAX_OPTION_RECORDS bytes each.
   */
  private writePacket(conn: Connection, timeUs: number, seg: Segment, pending: PendingOptions, session: number, comments?: readonly string[]): void {
    const headerLength = conn.tcp.headerLength;
    const payload = seg.payload;
    const caplen = headerLength + payload.length;
    const padding = pad4(caplen) - caplen;
    const commentOptions = comments?.map((c) => encodeOption(OPT_COMMENT, Buffer.from(c, 'utf8')));
    let optionBytes = pending.lines.length === 0 ? 0 : recordOptionsLength(pending.lines);
    if (commentOptions) for (const o of commentOptions) optionBytes += o.length;
    if (optionBytes > 0) optionBytes += 4; // opt_endofopt
    const total = EPB_HEAD + caplen + padding + optionBytes + 4;
    const buf = this.out.reserve(total);
    const start = this.out.reservedAt;
    buf.writeUInt32LE(BLOCK_EPB, start);
    buf.writeUInt32LE(total, start + 4);
    buf.writeUInt32LE(conn.iface, start + 8);
    buf.writeUInt32LE(Math.floor(timeUs / 0x100000000), start + 12);
    buf.writeUInt32LE(timeUs % 0x100000000 >>> 0, start + 16);
    buf.writeUInt32LE(caplen, start + 20);
    buf.writeUInt32LE(caplen, start + 24);
    conn.tcp.writeHeaders(seg, buf, start + EPB_HEAD);
    let at = start + EPB_HEAD + headerLength;
    at += payload.copy(buf, at);
    for (let i = 0; i < padding; i++) buf[at++] = 0; // at most 3 bytes: cheaper than fill's checks
    if (commentOptions) for (const o of commentOptions) at += o.copy(buf, at);
    if (pending.lines.length > 0) at = writeRecordOptions(buf, at, pending.stage, pending.lines);
    if (optionBytes > 0) {
      buf.writeUInt32LE(0, at);
      at += 4;
    }
    buf.writeUInt32LE(total, at);
    if (payload.length > 0 && seg.streamOffset - conn.lastMark[seg.from] >= MARK_EVERY) {
      conn.lastMark[seg.from] = seg.streamOffset;
      this.index.mark(conn.session, conn.layer, seg.from === 'client' ? 'c' : 's', seg.streamOffset, this.position);
    }
    this.out.commit(total);
    const blockStart = this.position;
    this.position += total;
    this.index.note(blockStart, this.position, session, pending.sessions);
  }

  /** A block that belongs to no session (the file's head) or to those of the metadata it carries. */
  private writeBlock(parts: Buffer[], sessions?: readonly number[]): void {
    const start = this.position;
    for (const p of parts) {
      this.out.write(p);
      this.position += p.length;
    }
    if (sessions) for (let i = 0; i < sessions.length; i++) this.index.note(start, this.position, sessions[i]);
  }
}

/**
 * The distinct sessions of `lines`, in order of first appearance. An array, not a Set: a packet's
 * records nearly always belong to one session or a few, and this runs for every packet that carries
 * records (a NOOP round trip's two), where a Set and its iterator were garbage per packet.
 */
function sessionsOf(lines: readonly PendingLine[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const id = lines[i].session;
    if (out.includes(id)) continue;
    // Records of many sessions at once (a thousand connections opening): a Set keeps it linear.
    if (out.length >= 16) return [...new Set(lines.map((l) => l.session))];
    out.push(id);
  }
  return out;
}

/**
 * The end (exclusive) of the batch of `lines` from `from` that one option carries: consecutive
 * lines up to MAX_OPTION_RECORDS bytes (a longer line goes in a block instead; see queued).
 */
function batchEnd(lines: readonly PendingLine[], from: number): number {
  let bytes = lines[from].bytes;
  let to = from + 1;
  while (to < lines.length && bytes + lines[to].bytes <= MAX_OPTION_RECORDS) bytes += lines[to++].bytes;
  return to;
}

/** Bytes of lines [from, to): consecutive in their stage. */
function batchBytes(lines: readonly PendingLine[], from: number, to: number): number {
  return lines[to - 1].start + lines[to - 1].bytes - lines[from].start;
}

/** Bytes of the options that carry `lines`. Loops, not callbacks: this runs per packet. */
function recordOptionsLength(lines: readonly PendingLine[]): number {
  let total = 0;
  for (let from = 0, to = 0; from < lines.length; from = to) {
    to = batchEnd(lines, from);
    total += imapdbgOptionLength(batchBytes(lines, from, to));
  }
  return total;
}

/** Writes `lines` as imapdbg record options at `at`; returns the end. */
function writeRecordOptions(buf: Buffer, at: number, stage: Buffer, lines: readonly PendingLine[]): number {
  for (let from = 0, to = 0; from < lines.length; from = to) {
    to = batchEnd(lines, from);
    const bytes = batchBytes(lines, from, to);
    let body = writeImapdbgOptionHead(buf, at, OPT_CUSTOM_BINARY_COPY, PAYLOAD_RECORDS, METADATA_VERSION, bytes);
    // Consecutive lines are consecutive in their stage: one copy per option.
    body += stage.copy(buf, body, lines[from].start, lines[from].start + bytes);
    const end = at + imapdbgOptionLength(bytes);
    buf.fill(0, body, end);
    at = end;
  }
  return at;
}
