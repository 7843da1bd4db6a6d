import { isIPv4, isIPv6 } from 'node:net';

/**
 * The addresses of a synthetic TCP connection, the way text2pcap makes one up: the client's real
 * address and port to the upstream's real address and port. Both ends share one IP family: an IPv4
 * end beside an IPv6 one becomes IPv4-mapped (::ffff:a.b.c.d), and an IPv4-mapped address beside an
 * IPv4 one becomes plain IPv4. A host name (an upstream given by name) is not an address: it becomes
 * a documentation address (192.0.2.1 client, 192.0.2.2 server, RFC 5737; 2001:db8::1/2, RFC 3849).
 */
export interface SyntheticAddresses {
  family: 4 | 6;
  clientIp: Buffer;
  clientPort: number;
  serverIp: Buffer;
  serverPort: number;
}

interface ParsedEnd {
  host: string;
  port: number;
}

function splitHostPort(text: string): ParsedEnd {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(text) ?? /^(.*):(\d{1,5})$/.exec(text);
  if (!m) return { host: '', port: 0 };
  const host = m.length === 4 ? (m[1] ?? m[2] ?? '') : (m[1] ?? '');
  const port = Number(m[m.length - 1]);
  return { host, port: port <= 65535 ? port : 0 };
}

function ipv4Bytes(text: string): Buffer {
  return Buffer.from(text.split('.').map((p) => Number(p)));
}

function ipv6Bytes(text: string): Buffer {
  let t = text.replace(/%.*$/, ''); // a zone id names an interface, not part of the address
  const out = Buffer.alloc(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  let tail: number[] = [];
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    tail = [b.readUInt16BE(0), b.readUInt16BE(2)];
    t = t.slice(0, -v4[1].length);
    if (t.endsWith(':') && !t.endsWith('::')) t = t.slice(0, -1); // "::ffff:" + v4
  }
  const [head, rest] = t.includes('::') ? t.split('::') : [t, undefined];
  const headWords = head ? head.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : [];
  const restWords = rest !== undefined && rest !== '' ? rest.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16)) : [];
  const tailWords = [...restWords, ...tail];
  const words = new Array<number>(8).fill(0);
  headWords.forEach((w, i) => { words[i] = w; });
  tailWords.forEach((w, i) => { words[8 - tailWords.length + i] = w; });
  words.forEach((w, i) => out.writeUInt16BE(w & 0xffff, i * 2));
  return out;
}

const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

function asIpv6(ip: Buffer): Buffer {
  return ip.length === 16 ? ip : Buffer.concat([MAPPED_PREFIX, ip]);
}

function unmapped(ip: Buffer): Buffer {
  return ip.length === 16 && ip.subarray(0, 12).equals(MAPPED_PREFIX) ? ip.subarray(12) : ip;
}

function addressOf(host: string): Buffer | undefined {
  if (isIPv4(host)) return ipv4Bytes(host);
  if (isIPv6(host.replace(/%.*$/, ''))) return unmapped(ipv6Bytes(host));
  return undefined;
}

export function syntheticAddresses(client: string, upstream: string): SyntheticAddresses {
  const c = splitHostPort(client);
  const s = splitHostPort(upstream);
  const cIp = addressOf(c.host);
  const sIp = addressOf(s.host);
  const v6 = (cIp?.length === 16) || (sIp?.length === 16);
  const clientIp = cIp ?? (v6 ? ipv6Bytes('2001:db8::1') : ipv4Bytes('192.0.2.1'));
  const serverIp = sIp ?? (v6 ? ipv6Bytes('2001:db8::2') : ipv4Bytes('192.0.2.2'));
  return v6
    ? { family: 6, clientIp: asIpv6(clientIp), clientPort: c.port, serverIp: asIpv6(serverIp), serverPort: s.port }
    : { family: 4, clientIp, clientPort: c.port, serverIp, serverPort: s.port };
}

/**
 * The inflated copy of a COMPRESS=DEFLATE session travels as a second connection between the same
 * hosts, from client port XOR 0x8000: Linux and most systems hand out ephemeral ports from 32768 up,
 * so the flipped port falls below that range and does not collide with a real client's next
 * connection, and it is easy to map back by eye (port 53450 -> 20682).
 */
export function inflatedAddresses(wire: SyntheticAddresses): SyntheticAddresses {
  return { ...wire, clientPort: wire.clientPort ^ 0x8000 };
}

/**
 * What imapdbg delivered to each peer in a session it changed (rules, intercept, scripts) travels
 * as a third connection between the same hosts, from client port XOR 0xC000 (ephemeral ports
 * 32768-65535 land on 16384-32767): Wireshark follows it as its own TCP stream, beside the wire
 * stream that keeps what each peer sent.
 */
export function deliveredAddresses(wire: SyntheticAddresses): SyntheticAddresses {
  return { ...wire, clientPort: wire.clientPort ^ 0xc000 };
}
