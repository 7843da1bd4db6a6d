/**
 * The server side of a SOCKS5 negotiation (RFC 1928 3-5, RFC 1929) as a pure state machine: bytes
 * in, steps out (what to send, where to connect, why to give up). Chunks may split anywhere; a
 * chunk may also carry several messages and the client's first bytes after the request.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  ATYP_DOMAIN, ATYP_IPV4, ATYP_IPV6, CMD_BIND, CMD_CONNECT, CMD_UDP_ASSOCIATE, encodeReply, formatIpv6,
  METHOD_NO_AUTH, METHOD_NONE_ACCEPTABLE, METHOD_USERPASS, Reply, SOCKS_VERSION, USERPASS_VERSION, type SocksTarget,
} from './socks-protocol';

/** RFC 1929 credentials the client must present; none means no authentication (METHOD 0x00). */
export interface SocksCredentials {
  user: string;
  password: string;
}

/** What the driver does next. */
export type NegotiationStep =
  /** Send these bytes and keep reading (method selection, authentication success). */
  | { kind: 'send'; bytes: Buffer }
  /** The CONNECT request is complete: connect, then reply. `early` holds the client's bytes that followed it. */
  | { kind: 'connect'; target: SocksTarget; early: Buffer }
  /** Give up: send `bytes` when there are any (a SOCKS error reply), then close. `reason` is one printable line. */
  | { kind: 'refuse'; bytes?: Buffer; reason: string };

/**
 * The most bytes held while a message is incomplete. The largest message is the RFC 1929 request
 * (3 + 255 + 255 bytes); anything beyond is not SOCKS.
 */
export const MAX_PENDING_BYTES = 1024;
/** RFC 1035 2.3.4: a host name in text form has at most 253 characters (without the root dot). */
export const MAX_HOST_NAME = 253;

type Phase = 'greeting' | 'auth' | 'request' | 'done';

/** A byte sequence as a short printable excerpt for messages: ASCII kept, the rest as \xNN. */
export function byteExcerpt(bytes: Buffer, max = 24): string {
  let out = '';
  for (const b of bytes.subarray(0, max)) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return bytes.length > max ? `${out}...` : out;
}

export class SocksNegotiation {
  private phase: Phase = 'greeting';
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly credentials?: SocksCredentials) {}

  /** True once a `connect` or `refuse` step came out: later bytes are not SOCKS. */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** Feed bytes read from the client. */
  receive(chunk: Buffer): NegotiationStep[] {
    if (this.phase === 'done') return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const steps: NegotiationStep[] = [];
    for (;;) {
      const before: Phase = this.phase;
      const step = this.parse();
      if (step === undefined) break;
      steps.push(step);
      if (step.kind !== 'send' || this.phase === before) { this.phase = 'done'; break; }
    }
    if (this.phase !== 'done' && this.pending.length > MAX_PENDING_BYTES) {
      this.phase = 'done';
      steps.push({ kind: 'refuse', reason: `more than ${MAX_PENDING_BYTES} bytes without a complete SOCKS message` });
    }
    return steps;
  }

  /** The client closed before the negotiation finished: what it had sent, for the message. */
  get incomplete(): string {
    return `${this.phase} incomplete after ${this.pending.length} bytes${this.pending.length ? ` ("${byteExcerpt(this.pending)}")` : ''}`;
  }

  private take(n: number): Buffer {
    const head = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return head;
  }

  private parse(): NegotiationStep | undefined {
    switch (this.phase) {
      case 'greeting': return this.greeting();
      case 'auth': return this.auth();
      case 'request': return this.request();
      default: return undefined;
    }
  }

  /** RFC 1928 3: VER NMETHODS METHODS. */
  private greeting(): NegotiationStep | undefined {
    const p = this.pending;
    if (p.length === 0) return undefined;
    if (p[0] !== SOCKS_VERSION) return notSocks5(p);
    if (p.length < 2) return undefined;
    const n = p[1];
    if (n === 0) return { kind: 'refuse', reason: 'malformed SOCKS5 greeting: no authentication methods offered' };
    if (p.length < 2 + n) return undefined;
    const methods = [...this.take(2 + n).subarray(2)];
    const wanted = this.credentials ? METHOD_USERPASS : METHOD_NO_AUTH;
    if (!methods.includes(wanted)) {
      const need = this.credentials ? 'username/password (0x02)' : 'no authentication (0x00)';
      return { kind: 'refuse', bytes: Buffer.from([SOCKS_VERSION, METHOD_NONE_ACCEPTABLE]),
        reason: `no acceptable SOCKS authentication method: the client offered ${methods.map(hex).join(', ')}, imapdbg needs ${need}` };
    }
    this.phase = this.credentials ? 'auth' : 'request';
    return { kind: 'send', bytes: Buffer.from([SOCKS_VERSION, wanted]) };
  }

  /** RFC 1929 2: VER ULEN UNAME PLEN PASSWD. */
  private auth(): NegotiationStep | undefined {
    const p = this.pending;
    if (p.length === 0) return undefined;
    if (p[0] !== USERPASS_VERSION) return { kind: 'refuse', bytes: Buffer.from([USERPASS_VERSION, 0x01]), reason: `malformed SOCKS username/password request: version ${hex(p[0])}, not 0x01` };
    if (p.length < 2) return undefined;
    const ulen = p[1];
    if (p.length < 3 + ulen) return undefined;
    const plen = p[2 + ulen];
    if (p.length < 3 + ulen + plen) return undefined;
    const msg = this.take(3 + ulen + plen);
    const user = msg.subarray(2, 2 + ulen);
    const password = msg.subarray(3 + ulen);
    const c = this.credentials;
    if (!c || !sameBytes(user, Buffer.from(c.user, 'utf8')) || !sameBytes(password, Buffer.from(c.password, 'utf8'))) {
      // The user name is the client's own input: shown escaped and cut, the password never.
      return { kind: 'refuse', bytes: Buffer.from([USERPASS_VERSION, 0x01]), reason: `SOCKS authentication failed for user "${byteExcerpt(user, 40)}"` };
    }
    this.phase = 'request';
    return { kind: 'send', bytes: Buffer.from([USERPASS_VERSION, 0x00]) };
  }

  /** RFC 1928 4: VER CMD RSV ATYP DST.ADDR DST.PORT. */
  private request(): NegotiationStep | undefined {
    const p = this.pending;
    if (p.length === 0) return undefined;
    if (p[0] !== SOCKS_VERSION) return { kind: 'refuse', bytes: encodeReply(Reply.generalFailure), reason: `malformed SOCKS5 request: version ${hex(p[0])}, not 0x05` };
    if (p.length < 4) return undefined;
    const cmd = p[1];
    const atyp = p[3];
    // Known before the address arrives: no need to wait for bytes imapdbg will not use.
    if (cmd !== CMD_CONNECT) {
      const name = cmd === CMD_BIND ? 'BIND' : cmd === CMD_UDP_ASSOCIATE ? 'UDP ASSOCIATE' : `command ${hex(cmd)}`;
      return { kind: 'refuse', bytes: encodeReply(Reply.commandNotSupported), reason: `SOCKS ${name} is not supported (only CONNECT)` };
    }
    let addrLen: number;
    if (atyp === ATYP_IPV4) addrLen = 4;
    else if (atyp === ATYP_IPV6) addrLen = 16;
    else if (atyp === ATYP_DOMAIN) {
      if (p.length < 5) return undefined;
      addrLen = 1 + p[4];
    } else {
      return { kind: 'refuse', bytes: encodeReply(Reply.addressTypeNotSupported), reason: `SOCKS address type ${hex(atyp)} is not supported` };
    }
    if (p.length < 4 + addrLen + 2) return undefined;
    const msg = this.take(4 + addrLen + 2);
    const addr = msg.subarray(4, 4 + addrLen);
    const port = msg.readUInt16BE(4 + addrLen);
    let target: SocksTarget;
    if (atyp === ATYP_IPV4) target = { host: [...addr].join('.'), port, kind: 'ipv4' };
    else if (atyp === ATYP_IPV6) target = { host: formatIpv6(addr), port, kind: 'ipv6' };
    else {
      const name = addr.subarray(1);
      const problem = hostNameProblem(name);
      if (problem) return { kind: 'refuse', bytes: encodeReply(Reply.hostUnreachable), reason: `SOCKS CONNECT to an invalid host name "${byteExcerpt(name, 40)}": ${problem}` };
      target = { host: name.toString('latin1'), port, kind: 'domain' };
    }
    if (port === 0) return { kind: 'refuse', bytes: encodeReply(Reply.generalFailure), reason: `SOCKS CONNECT to port 0 of ${target.host}` };
    this.phase = 'done';
    return { kind: 'connect', target, early: Buffer.from(this.take(this.pending.length)) };
  }
}

/** Why a name from ATYP 3 is not a host name imapdbg will look up; undefined when it is one. */
function hostNameProblem(name: Buffer): string | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > MAX_HOST_NAME + 1) return `${name.length} bytes, more than ${MAX_HOST_NAME}`;
  // Letters, digits, hyphen, underscore, dot (IDNs arrive as xn-- labels); IPv6 text has colons.
  if (!/^[A-Za-z0-9._:-]+$/.test(name.toString('latin1'))) return 'characters a host name cannot have';
  return undefined;
}

/** What the first byte of a greeting that is not SOCKS5 says about the client. */
function notSocks5(p: Buffer): NegotiationStep {
  if (p[0] === 0x04) {
    // A SOCKS4 client understands only a SOCKS4 reply: 0x5B is "request rejected or failed".
    return { kind: 'refuse', bytes: Buffer.from([0x00, 0x5b, 0, 0, 0, 0, 0, 0]), reason: 'a SOCKS4 client: imapdbg speaks SOCKS5 only (RFC 1928; curl: --socks5-hostname)' };
  }
  if (p[0] === 0x16) return { kind: 'refuse', reason: 'a TLS client on the SOCKS port: configure it to use imapdbg as a SOCKS5 proxy, not as its server' };
  const text = /^[\x20-\x7e]/.test(p.toString('latin1', 0, 1));
  return { kind: 'refuse',
    reason: text ? `not a SOCKS5 client (it sent "${byteExcerpt(p)}"): point mail clients at a --listen or --route port, or set imapdbg as their SOCKS5 proxy`
      : `malformed SOCKS5 greeting: version ${hex(p[0])}, not 0x05` };
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** Equal bytes, in time that does not depend on where they differ. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
