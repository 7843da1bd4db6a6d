import type { Direction } from '../../imap/frame';
import type { SyntheticAddresses } from './synthetic-addresses';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

const ETH_HEADER = 14;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;

/**
 * Most payload bytes in one segment: an IPv4 packet's total length is 16 bits (65535 minus 40 bytes
 * of IP and TCP headers). IPv6 could carry 20 more; one limit for both keeps segments alike. tshark
 * 4.0 reassembles such segments like any others (it does not check them against an MTU), and large
 * segments keep the capture within a few hundredths of a percent of the bytes carried.
 */
export const MAX_SEGMENT_PAYLOAD = 65535 - IPV4_HEADER - TCP_HEADER;

/** Locally administered MACs, as text2pcap uses made-up ones. */
const CLIENT_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const SERVER_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);

/**
 * One segment: what its headers say, and its payload. The headers are written where the caller
 * wants them (writeHeaders), so a capture writer puts them straight into its output.
 */
export interface Segment {
  from: Direction;
  flags: number;
  seq: number;
  /** Acknowledgement number; 0 in the SYN (no ACK flag). */
  ack: number;
  ipId: number;
  payload: Buffer;
  /** Offset of the payload's first byte in this direction's stream. */
  streamOffset: number;
}

/**
 * One synthetic TCP connection: sequence and acknowledgement numbers stay consistent (each side
 * acknowledges all the other side has sent), the handshake comes first and FIN or RST last. Checksums:
 * the IPv4 header checksum is valid; the TCP checksum is 0, which tshark does not check by default.
 */
export class SyntheticTcpConnection {
  private readonly isn: Record<Direction, number>;
  private readonly sent: Record<Direction, number> = { client: 0, server: 0 };
  private ipId = 0;
  private finished = false;
  /** Per sender, the headers' fixed fields (MACs, addresses, ports...): a segment copies them and fills in the rest. */
  private readonly templates: Record<Direction, Buffer>;
  /** Per sender, the one's-complement sum of the IPv4 template's 16-bit words (length, id and checksum 0). */
  private readonly ipSums: Record<Direction, number>;

  constructor(readonly addresses: SyntheticAddresses, seed: number) {
    // Fixed, distinct initial sequence numbers per connection: deterministic files, easy to diff.
    this.isn = { client: (0x10000000 + seed * 0x10001) >>> 0, server: (0x80000000 + seed * 0x10001) >>> 0 };
    this.templates = { client: this.template('client'), server: this.template('server') };
    this.ipSums = { client: ipv4Sum(this.templates.client, ETH_HEADER), server: ipv4Sum(this.templates.server, ETH_HEADER) };
  }

  get headerLength(): number {
    return ETH_HEADER + (this.addresses.family === 4 ? IPV4_HEADER : IPV6_HEADER) + TCP_HEADER;
  }

  get closed(): boolean {
    return this.finished;
  }

  /** Bytes sent so far in one direction (the next payload's stream offset). */
  offset(direction: Direction): number {
    return this.sent[direction];
  }

  handshake(): Segment[] {
    const empty = Buffer.alloc(0);
    const syn = this.segment('client', TCP_SYN, empty, false);
    const synAck = this.segment('server', TCP_SYN | TCP_ACK, empty);
    const ack = this.segment('client', TCP_ACK, empty);
    return [syn, synAck, ack];
  }

  /** A chunk as segments of at most MAX_SEGMENT_PAYLOAD bytes; only the last one has PSH. */
  data(from: Direction, bytes: Buffer): Segment[] {
    const out: Segment[] = [];
    for (let at = 0; at < bytes.length; at += MAX_SEGMENT_PAYLOAD) {
      const end = Math.min(bytes.length, at + MAX_SEGMENT_PAYLOAD);
      out.push(this.segment(from, end === bytes.length ? TCP_PSH | TCP_ACK : TCP_ACK, bytes.subarray(at, end)));
    }
    return out;
  }

  /** FIN from `first`, FIN from the other side, the last ACK. */
  finish(first: Direction): Segment[] {
    if (this.finished) return [];
    this.finished = true;
    const second: Direction = first === 'client' ? 'server' : 'client';
    const empty = Buffer.alloc(0);
    const fin1 = this.segment(first, TCP_FIN | TCP_ACK, empty);
    this.sent[first] += 1;
    const fin2 = this.segment(second, TCP_FIN | TCP_ACK, empty);
    this.sent[second] += 1;
    const last = this.segment(first, TCP_ACK, empty);
    this.sent[first] -= 1;
    this.sent[second] -= 1;
    return [fin1, fin2, last];
  }

  /** An RST from the side whose error ended the connection. */
  reset(from: Direction): Segment[] {
    if (this.finished) return [];
    this.finished = true;
    return [this.segment(from, TCP_RST | TCP_ACK, Buffer.alloc(0))];
  }

  private segment(from: Direction, flags: number, payload: Buffer, withAck = true): Segment {
    const to: Direction = from === 'client' ? 'server' : 'client';
    const streamOffset = this.sent[from];
    // Sequence numbers count the SYN as one byte: data starts at ISN + 1.
    const synOffset = (flags & TCP_SYN) !== 0 ? 0 : 1;
    const seq = (this.isn[from] + synOffset + streamOffset) >>> 0;
    const ack = withAck ? (this.isn[to] + 1 + this.sent[to]) >>> 0 : 0;
    const ipId = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    this.sent[from] += payload.length;
    return { from, flags, seq, ack, ipId, payload, streamOffset };
  }

  /** Writes the segment's Ethernet, IP and TCP headers (headerLength bytes) into `h` at `at`. */
  writeHeaders(seg: Segment, h: Buffer, at: number): void {
    this.templates[seg.from].copy(h, at);
    const ip = at + ETH_HEADER;
    let tcp: number;
    if (this.addresses.family === 4) {
      const length = IPV4_HEADER + TCP_HEADER + seg.payload.length;
      h.writeUInt16BE(length, ip + 2);
      h.writeUInt16BE(seg.ipId, ip + 4);
      h.writeUInt16BE(foldChecksum(this.ipSums[seg.from] + length + seg.ipId), ip + 10);
      tcp = ip + IPV4_HEADER;
    } else {
      h.writeUInt16BE(TCP_HEADER + seg.payload.length, ip + 4);
      tcp = ip + IPV6_HEADER;
    }
    h.writeUInt32BE(seg.seq, tcp + 4);
    h.writeUInt32BE(seg.ack, tcp + 8);
    h[tcp + 13] = seg.flags;
  }

  /** The headers of every segment `from` sends, lengths, IP id, checksum, numbers and flags left 0. */
  private template(from: Direction): Buffer {
    const a = this.addresses;
    const h = Buffer.alloc(this.headerLength);
    (from === 'client' ? SERVER_MAC : CLIENT_MAC).copy(h, 0);
    (from === 'client' ? CLIENT_MAC : SERVER_MAC).copy(h, 6);
    const srcIp = from === 'client' ? a.clientIp : a.serverIp;
    const dstIp = from === 'client' ? a.serverIp : a.clientIp;
    const ip = ETH_HEADER;
    let tcp: number;
    if (a.family === 4) {
      h.writeUInt16BE(0x0800, 12);
      h[ip] = 0x45;
      h.writeUInt16BE(0x4000, ip + 6); // don't fragment
      h[ip + 8] = 64;
      h[ip + 9] = 6;
      srcIp.copy(h, ip + 12);
      dstIp.copy(h, ip + 16);
      tcp = ip + IPV4_HEADER;
    } else {
      h.writeUInt16BE(0x86dd, 12);
      h.writeUInt32BE(0x60000000, ip);
      h[ip + 6] = 6;
      h[ip + 7] = 64;
      srcIp.copy(h, ip + 8);
      dstIp.copy(h, ip + 24);
      tcp = ip + IPV6_HEADER;
    }
    h.writeUInt16BE(from === 'client' ? a.clientPort : a.serverPort, tcp);
    h.writeUInt16BE(from === 'client' ? a.serverPort : a.clientPort, tcp + 2);
    h[tcp + 12] = (TCP_HEADER / 4) << 4;
    h.writeUInt16BE(65535, tcp + 14); // window; checksum and urgent pointer stay 0
    return h;
  }
}

/** The one's-complement sum of an IPv4 header's 16-bit words, not yet folded. */
function ipv4Sum(h: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < IPV4_HEADER; i += 2) sum += h.readUInt16BE(at + i);
  return sum;
}

function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
