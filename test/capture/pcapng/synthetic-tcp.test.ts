// Segment headers are rendered from a per-sender template, the IPv4 checksum from a precomputed sum
// (issue 10). Checked on the rendered bytes, as a packet reader sees them: a valid IPv4 header
// checksum for every length and IP id (past the 16-bit wrap too), lengths, ports, flags, and
// sequence and acknowledgement numbers that follow the bytes each side sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticAddresses } from '../../../src/capture/pcapng/synthetic-addresses';
import { SyntheticTcpConnection, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, type Segment } from '../../../src/capture/pcapng/synthetic-tcp';

function rendered(conn: SyntheticTcpConnection, seg: Segment): Buffer {
  const out = Buffer.alloc(conn.headerLength + 8, 0xee);
  conn.writeHeaders(seg, out, 4);
  return out.subarray(4, 4 + conn.headerLength);
}

function ipv4HeaderValid(h: Buffer): boolean {
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

test('IPv4 segments: valid header checksum for every length and IP id, consistent numbers', () => {
  const conn = new SyntheticTcpConnection(syntheticAddresses('10.1.2.3:40000', '192.168.7.9:143'), 5);
  const [syn, synAck, ack] = conn.handshake();
  assert.equal(rendered(conn, syn)[47], TCP_SYN);
  assert.equal(rendered(conn, synAck)[47], TCP_SYN | TCP_ACK);
  assert.equal(rendered(conn, synAck).readUInt32BE(42), (rendered(conn, syn).readUInt32BE(38) + 1) >>> 0, 'SYN-ACK acknowledges the SYN');
  assert.ok(ipv4HeaderValid(rendered(conn, ack)));
  let clientSent = 0;
  let serverSent = 0;
  const clientIsn = rendered(conn, syn).readUInt32BE(38);
  const serverIsn = rendered(conn, synAck).readUInt32BE(38);
  for (let i = 0; i < 70_000; i++) { // the IP id wraps at 65536
    const from = i % 3 === 0 ? 'server' : 'client';
    const length = 1 + ((i * 7919) % 1500);
    const [seg] = conn.data(from, Buffer.alloc(length));
    const h = rendered(conn, seg);
    const [ownIsn, ownSent, peerIsn, peerSent] = from === 'client' ? [clientIsn, clientSent, serverIsn, serverSent] : [serverIsn, serverSent, clientIsn, clientSent];
    if (from === 'client') clientSent += length; else serverSent += length;
    if (i % 997 !== 0 && i < 65_530) continue; // every segment is rendered; a spread and the wrap are checked
    assert.ok(ipv4HeaderValid(h), `checksum of segment ${i}`);
    assert.equal(h.readUInt16BE(16), 20 + 20 + length, 'IP total length');
    assert.equal(h.readUInt16BE(18), (i + 3) & 0xffff, 'IP id');
    assert.equal(h[47], TCP_PSH | TCP_ACK);
    assert.deepEqual([h.readUInt16BE(34), h.readUInt16BE(36)], from === 'client' ? [40000, 143] : [143, 40000]);
    assert.equal(h.readUInt32BE(38), (ownIsn + 1 + ownSent) >>> 0, 'sequence number');
    assert.equal(h.readUInt32BE(42), (peerIsn + 1 + peerSent) >>> 0, 'acknowledgement number');
  }
  const [fin] = conn.finish('client');
  assert.equal(rendered(conn, fin)[47], TCP_FIN | TCP_ACK);
  assert.ok(ipv4HeaderValid(rendered(conn, fin)));
});

test('IPv6 segments: payload length, addresses and ports in place', () => {
  const conn = new SyntheticTcpConnection(syntheticAddresses('[2001:db8::5]:50000', '[2001:db8::6]:993'), 1);
  conn.handshake();
  const [seg] = conn.data('server', Buffer.alloc(1234));
  const h = rendered(conn, seg);
  assert.equal(h.readUInt16BE(12), 0x86dd);
  assert.equal(h.readUInt16BE(18), 20 + 1234, 'IPv6 payload length');
  assert.equal(h.toString('hex', 22, 38), '20010db8000000000000000000000006', 'source: the server');
  assert.equal(h.toString('hex', 38, 54), '20010db8000000000000000000000005');
  assert.deepEqual([h.readUInt16BE(54), h.readUInt16BE(56)], [993, 50000]);
});
