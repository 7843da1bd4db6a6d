import { TCP_PSH } from './synthetic-tcp';

/** What a reader needs from one Ethernet/IP/TCP packet of an EPB. */
export interface TcpPacketView {
  iface: number;
  timeUs: number;
  /** `iface|srcIP|srcPort|dstIP|dstPort`, addresses in hex: the sender's side of a connection key. */
  key: string;
  flags: number;
  seq: number;
  /** Payload offset and length within the EPB's bytes. */
  payloadAt: number;
  payloadLength: number;
}

export function connectionKey(iface: number, srcIpHex: string, srcPort: number, dstIpHex: string, dstPort: number): string {
  return `${iface}|${srcIpHex}|${srcPort}|${dstIpHex}|${dstPort}`;
}

/**
 * Reads the headers of the Ethernet + IPv4/IPv6 + TCP packet in an EPB (its bytes from the block's
 * start: 28 bytes of block head, then the packet). Undefined for anything else (ARP, UDP, fragments,
 * IPv6 extension headers): imapdbg only writes plain TCP, and other packets are not its sessions.
 */
export function tcpPacketView(epb: Buffer): TcpPacketView | undefined {
  if (epb.length < 28 + 14 + 20 + 20) return undefined;
  const iface = epb.readUInt32LE(8);
  const timeUs = epb.readUInt32LE(12) * 0x100000000 + epb.readUInt32LE(16);
  const caplen = epb.readUInt32LE(20);
  const p = 28;
  const ethertype = epb.readUInt16BE(p + 12);
  let tcp: number;
  let src: string;
  let dst: string;
  let ipEnd: number;
  if (ethertype === 0x0800) {
    const ip = p + 14;
    const ihl = (epb[ip] & 0x0f) * 4;
    if ((epb[ip] >> 4) !== 4 || ihl < 20 || epb[ip + 9] !== 6 || (epb.readUInt16BE(ip + 6) & 0x3fff) !== 0) return undefined;
    src = epb.toString('hex', ip + 12, ip + 16);
    dst = epb.toString('hex', ip + 16, ip + 20);
    tcp = ip + ihl;
    ipEnd = ip + epb.readUInt16BE(ip + 2);
  } else if (ethertype === 0x86dd) {
    const ip = p + 14;
    if (epb.length < ip + 40 + 20 || (epb[ip] >> 4) !== 6 || epb[ip + 6] !== 6) return undefined;
    src = epb.toString('hex', ip + 8, ip + 24);
    dst = epb.toString('hex', ip + 24, ip + 40);
    tcp = ip + 40;
    ipEnd = tcp + epb.readUInt16BE(ip + 4);
  } else {
    return undefined;
  }
  if (tcp + 20 > epb.length) return undefined;
  const dataOffset = (epb[tcp + 12] >> 4) * 4;
  if (dataOffset < 20) return undefined;
  const payloadAt = tcp + dataOffset;
  // The payload ends where IP says it does (Ethernet pads short frames) and where the capture ends.
  const end = Math.min(ipEnd, p + caplen);
  return {
    iface, timeUs, key: connectionKey(iface, src, epb.readUInt16BE(tcp), dst, epb.readUInt16BE(tcp + 2)),
    flags: epb[tcp + 13], seq: epb.readUInt32BE(tcp + 4), payloadAt, payloadLength: Math.max(0, end - payloadAt),
  };
}

export function pushes(view: TcpPacketView): boolean {
  return (view.flags & TCP_PSH) !== 0;
}
