// The SOCKS5 negotiation (RFC 1928, RFC 1929) as a pure state machine: byte transcripts fed whole,
// split at every offset, and byte by byte must give the same steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PENDING_BYTES, SocksNegotiation, type NegotiationStep, type SocksCredentials } from '../../src/proxy/socks/socks-negotiation';
import { encodeReply, formatIpv6, ipv6Bytes, Reply } from '../../src/proxy/socks/socks-protocol';

const bytes = (...parts: (number[] | string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const port = (n: number): number[] => [n >> 8, n & 0xff];
const domainRequest = (name: string, p: number, cmd = 1): Buffer => bytes([5, cmd, 0, 3, name.length], name, port(p));

/** Steps in a comparable form (Buffers as hex). */
function plain(steps: NegotiationStep[]): unknown[] {
  return steps.map((s) => (s.kind === 'send' ? { send: s.bytes.toString('hex') }
    : s.kind === 'connect' ? { connect: s.target, early: s.early.toString('hex') }
      : { refuse: s.reason, bytes: s.bytes?.toString('hex') }));
}

/**
 * Feed `input` in the given chunks. Bytes after the end are the client's first session bytes (the
 * driver hands them on with `early`), and what a non-SOCKS client sent is quoted as far as it got.
 */
function feed(chunks: Buffer[], credentials?: SocksCredentials): unknown[] {
  const n = new SocksNegotiation(credentials);
  const steps: NegotiationStep[] = [];
  for (const c of chunks) {
    if (n.done) {
      const last = steps.at(-1);
      if (last?.kind === 'connect') last.early = Buffer.concat([last.early, c]);
      continue;
    }
    steps.push(...n.receive(c));
  }
  return plain(steps);
}

/** The same steps whole, split in two at every offset, split in three, and byte by byte. */
function everySplit(input: Buffer, credentials?: SocksCredentials): unknown[] {
  const whole = feed([input], credentials);
  const same = (chunks: Buffer[], what: string): void => {
    const got = feed(chunks, credentials);
    const quoted = (v: unknown[]): string => JSON.stringify(v).replace(/it sent \\"[^)]*\\"\)/, 'it sent ...)');
    assert.equal(quoted(got), quoted(whole), what);
  };
  for (let i = 1; i < input.length; i++) {
    same([input.subarray(0, i), input.subarray(i)], `split at ${i}`);
    for (let j = i + 1; j < input.length; j += 3) same([input.subarray(0, i), input.subarray(i, j), input.subarray(j)], `split at ${i}, ${j}`);
  }
  same([...input].map((b) => Buffer.from([b])), 'byte by byte');
  return whole;
}

test('CONNECT by domain name without authentication: method reply, then the target; early bytes kept', () => {
  const steps = everySplit(bytes([5, 1, 0], domainRequest('imap.example.org', 993), '\x16\x03\x01'));
  assert.deepEqual(steps, [
    { send: '0500' },
    { connect: { host: 'imap.example.org', port: 993, kind: 'domain' }, early: '160301' },
  ]);
});

test('CONNECT by IPv4 and by IPv6 address', () => {
  assert.deepEqual(everySplit(bytes([5, 2, 2, 0], [5, 1, 0, 1, 127, 0, 0, 1], port(143))).at(-1),
    { connect: { host: '127.0.0.1', port: 143, kind: 'ipv4' }, early: '' });
  const v6 = ipv6Bytes('2001:db8::1');
  assert.deepEqual(everySplit(bytes([5, 1, 0], [5, 1, 0, 4], [...v6], port(993))).at(-1),
    { connect: { host: '2001:db8::1', port: 993, kind: 'ipv6' }, early: '' });
  assert.equal(formatIpv6(ipv6Bytes('::1')), '::1');
  assert.equal(formatIpv6(ipv6Bytes('::ffff:127.0.0.1')), '::ffff:7f00:1');
  assert.equal(formatIpv6(ipv6Bytes('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
});

test('RFC 1929 username/password: accepted, refused with status 1, and required when configured', () => {
  const creds = { user: 'me', password: 's3cret' };
  const auth = (u: string, p: string): Buffer => bytes([1, u.length], u, [p.length], p);
  assert.deepEqual(everySplit(bytes([5, 2, 0, 2], auth('me', 's3cret'), domainRequest('localhost', 143)), creds), [
    { send: '0502' }, { send: '0100' }, { connect: { host: 'localhost', port: 143, kind: 'domain' }, early: '' },
  ]);
  const wrong = everySplit(bytes([5, 1, 2], auth('me', 'guess')), creds);
  assert.deepEqual(wrong[1], { refuse: 'SOCKS authentication failed for user "me"', bytes: '0101' });
  assert.ok(!JSON.stringify(wrong).includes('guess'), 'the password is in no message');
  // A client offering only "no authentication" to a proxy that requires a password: 0xFF.
  const none = everySplit(bytes([5, 1, 0]), creds);
  assert.equal((none[0] as { bytes: string }).bytes, '05ff');
  // And the other way round: only username/password offered, none configured.
  assert.equal((everySplit(bytes([5, 1, 2]))[0] as { bytes: string }).bytes, '05ff');
});

test('BIND and UDP ASSOCIATE: "command not supported" (0x07); an unknown address type: 0x08', () => {
  const notSupported = encodeReply(Reply.commandNotSupported).toString('hex');
  for (const [cmd, name] of [[2, 'BIND'], [3, 'UDP ASSOCIATE']] as const) {
    const steps = everySplit(bytes([5, 1, 0], domainRequest('imap.example.org', 143, cmd)));
    assert.deepEqual(steps[1], { refuse: `SOCKS ${name} is not supported (only CONNECT)`, bytes: notSupported });
  }
  const atyp = everySplit(bytes([5, 1, 0], [5, 1, 0, 9, 1, 2]));
  assert.deepEqual(atyp[1], { refuse: 'SOCKS address type 0x09 is not supported', bytes: encodeReply(Reply.addressTypeNotSupported).toString('hex') });
});

test('malformed greetings and names: a clear reason, a SOCKS error reply where the client can read one', () => {
  assert.match((everySplit(bytes([5, 0]))[0] as { refuse: string }).refuse, /no authentication methods offered/);
  assert.match((everySplit(bytes([6, 1, 0]))[0] as { refuse: string }).refuse, /version 0x06, not 0x05/);
  const imap = everySplit(bytes('a1 CAPABILITY\r\n'))[0] as { refuse: string; bytes?: string };
  assert.match(imap.refuse, /not a SOCKS5 client \(it sent "a1 CAPABILITY\\x0d\\x0a"\)/);
  assert.equal(imap.bytes, undefined, 'nothing is sent to a client that does not speak SOCKS');
  const socks4 = everySplit(bytes([4, 1], port(143), [127, 0, 0, 1], 'user\0'))[0] as { refuse: string; bytes?: string };
  assert.match(socks4.refuse, /SOCKS4 client/);
  assert.equal(socks4.bytes, '005b000000000000', 'a SOCKS4 rejection a SOCKS4 client understands');
  const long = everySplit(bytes([5, 1, 0], domainRequest('a'.repeat(255), 143)))[1] as { refuse: string; bytes?: string };
  assert.match(long.refuse, /invalid host name "a{40}\.\.\."?.*255 bytes, more than 253/);
  assert.equal(long.bytes, encodeReply(Reply.hostUnreachable).toString('hex'));
  const control = everySplit(bytes([5, 1, 0], domainRequest('evil\x1b[2Jname', 143)))[1] as { refuse: string };
  assert.match(control.refuse, /"evil\\x1b\[2Jname": characters a host name cannot have/);
  assert.ok(!control.refuse.includes('\x1b'), 'no control character reaches a message');
  assert.match((everySplit(bytes([5, 1, 0], domainRequest('', 143)))[1] as { refuse: string }).refuse, /empty/);
  assert.match((everySplit(bytes([5, 1, 0], domainRequest('host', 0)))[1] as { refuse: string }).refuse, /port 0/);
});

test('bounded: the largest message (RFC 1929, 513 bytes) ends within MAX_PENDING_BYTES; nothing is parsed after the end', () => {
  const n = new SocksNegotiation({ user: 'u', password: 'p' });
  assert.deepEqual(plain(n.receive(bytes([5, 1, 2]))), [{ send: '0502' }]);
  // RFC 1929 request: 255-byte user, then a password length the client never fills.
  const steps = n.receive(bytes([1, 255], 'u'.repeat(255), [255], 'p'.repeat(254)));
  assert.deepEqual(steps, []);
  const over = plain(n.receive(Buffer.alloc(MAX_PENDING_BYTES)));
  assert.deepEqual(over, [{ refuse: `SOCKS authentication failed for user "${'u'.repeat(40)}..."`, bytes: '0101' }]);
  assert.equal(n.done, true);
  assert.deepEqual(n.receive(bytes([5, 1, 0])), [], 'done: later bytes are not SOCKS');
});
