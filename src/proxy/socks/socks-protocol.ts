/**
 * SOCKS version 5 wire format (RFC 1928) and its username/password sub-negotiation (RFC 1929):
 * constants, the reply encoding and the address forms. No I/O.
 */

export const SOCKS_VERSION = 0x05;
/** RFC 1929 2: the sub-negotiation's own version number. */
export const USERPASS_VERSION = 0x01;

/** RFC 1928 3: METHOD values. */
export const METHOD_NO_AUTH = 0x00;
export const METHOD_USERPASS = 0x02;
export const METHOD_NONE_ACCEPTABLE = 0xff;

/** RFC 1928 4: CMD values. */
export const CMD_CONNECT = 0x01;
export const CMD_BIND = 0x02;
export const CMD_UDP_ASSOCIATE = 0x03;

/** RFC 1928 5: ATYP values. */
export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAIN = 0x03;
export const ATYP_IPV6 = 0x04;

/** RFC 1928 6: REP values. */
export const Reply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type ReplyCode = (typeof Reply)[keyof typeof Reply];

const REPLY_WORDS: Record<number, string> = {
  0x00: 'succeeded', 0x01: 'general SOCKS server failure', 0x02: 'connection not allowed by ruleset',
  0x03: 'network unreachable', 0x04: 'host unreachable', 0x05: 'connection refused', 0x06: 'TTL expired',
  0x07: 'command not supported', 0x08: 'address type not supported',
};

/** `connection refused (0x05)`: a reply code as RFC 1928 names it. */
export function replyText(code: number): string {
  return `${REPLY_WORDS[code] ?? 'unassigned'} (0x${code.toString(16).padStart(2, '0')})`;
}

/** Where a CONNECT asks to go: a host name as given (ATYP 3) or an address (ATYP 1, 4). */
export interface SocksTarget {
  host: string;
  port: number;
  /** How the client named the host. */
  kind: 'domain' | 'ipv4' | 'ipv6';
}

/**
 * The reply to a request (RFC 1928 6). BND.ADDR/BND.PORT carry the address imapdbg connected from
 * on success; on failure 0.0.0.0:0, which every client ignores.
 */
export function encodeReply(code: ReplyCode, bound?: { address: string; port: number }): Buffer {
  const v6 = bound !== undefined && bound.address.includes(':') ? ipv6Bytes(bound.address) : undefined;
  const v4 = bound !== undefined && v6 === undefined ? ipv4Bytes(bound.address) : undefined;
  const addr = v6 ?? v4 ?? Buffer.alloc(4);
  const head = Buffer.from([SOCKS_VERSION, code, 0x00, v6 ? ATYP_IPV6 : ATYP_IPV4]);
  const port = Buffer.alloc(2);
  port.writeUInt16BE(bound?.port ?? 0);
  return Buffer.concat([head, addr, port]);
}

/** Four bytes of a dotted IPv4 address; 0.0.0.0 for anything else. */
function ipv4Bytes(text: string): Buffer {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return Buffer.alloc(4);
  return Buffer.from(parts);
}

/** Sixteen bytes of an IPv6 address (`::ffff:1.2.3.4` forms included); all zero when unparsable. */
export function ipv6Bytes(text: string): Buffer {
  let t = text.replace(/%.*$/, '');
  const out = Buffer.alloc(16);
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    tail.push(b.readUInt16BE(0), b.readUInt16BE(2));
    t = t.slice(0, -v4[1].length).replace(/([^:]):$/, '$1');
  }
  const halves = t.split('::');
  if (halves.length > 2) return out;
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const head = words(halves[0]);
  const rest = [...(halves.length === 2 ? words(halves[1]) : []), ...tail];
  const all = halves.length === 2 ? [...head, ...new Array<number>(Math.max(0, 8 - head.length - rest.length)).fill(0), ...rest] : [...head, ...tail];
  if (all.length !== 8 || all.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return out;
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

/** An IPv6 address from its 16 bytes, in the RFC 5952 text form (longest zero run as `::`). */
export function formatIpv6(bytes: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best.at < 0) return hex(words);
  return `${hex(words.slice(0, best.at))}::${hex(words.slice(best.at + best.len))}`;
}
