// The COMPRESS layer's bounds, through a real ProxyServer over loopback: a DEFLATE bomb's inflated
// copy stops at its bound (with a finding) while its wire bytes are forwarded and recorded
// unchanged, and a bomb is inflated in slices, so another session's bytes get through meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { constants, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { EventBus, type ProxyEvent } from '../../src/imap/events';
import { CompressLayer, type InflateBounds } from '../../src/proxy/compress-layer';
import { ProxyServer } from '../../src/proxy/proxy-server';

interface Rig {
  events: ProxyEvent[];
  port: number;
  nextUpstream(): Promise<net.Socket>;
  /** Called with every event as the proxy emits it (before `events` grows). */
  onEvent: (e: ProxyEvent) => void;
  close(): Promise<void>;
}

async function rig(bounds: InflateBounds): Promise<Rig> {
  const accepted: net.Socket[] = [];
  const waiting: Array<(s: net.Socket) => void> = [];
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
    const w = waiting.shift();
    if (w) w(s);
    else accepted.push(s);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const events: ProxyEvent[] = [];
  const r: Rig = {
    events, port: 0, onEvent: () => undefined,
    nextUpstream: () => new Promise((resolve) => { const s = accepted.shift(); if (s) resolve(s); else waiting.push(resolve); }),
    close: async () => undefined,
  };
  const bus = new EventBus().add({ handle: (e) => { r.onEvent(e); events.push(e); } });
  const proxy = new ProxyServer({
    listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port },
    sink: bus, sessionOptions: () => ({ layers: [new CompressLayer()], inflateBounds: bounds }),
  });
  r.port = (await proxy.listen()).port;
  r.close = async () => { await proxy.close(); await new Promise<void>((res) => upstream.close(() => res())); };
  return r;
}

/** Bytes until `pattern` appears in what the socket received. */
function readUntil(socket: net.Socket, pattern: string): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.includes(pattern)) { socket.off('data', onData); resolve(got); }
    };
    socket.on('data', onData);
  });
}

/** A client and its upstream after `a1 COMPRESS DEFLATE` was accepted: both sides now speak DEFLATE. */
async function compressedSession(r: Rig): Promise<{ client: net.Socket; server: net.Socket; serverGot: Buffer[] }> {
  const client = net.connect({ port: r.port, host: '127.0.0.1', allowHalfOpen: true });
  const server = await r.nextUpstream();
  const serverGot: Buffer[] = [];
  const greeting = readUntil(client, '\r\n');
  server.write('* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] fake\r\n');
  await greeting;
  const command = readUntil(server, 'COMPRESS DEFLATE\r\n');
  client.write('a1 COMPRESS DEFLATE\r\n');
  await command;
  server.on('data', (d: Buffer) => serverGot.push(d));
  const ok = readUntil(client, 'a1 OK');
  server.write('a1 OK DEFLATE active\r\n');
  await ok;
  return { client, server, serverGot };
}

/** Compress with one DEFLATE stream and a sync flush, as a COMPRESS peer does after each message. */
function deflated(z: DeflateRaw, data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  const onData = (b: Buffer): void => { out.push(b); };
  z.on('data', onData);
  z.write(data);
  return new Promise((resolve) => z.flush(constants.Z_SYNC_FLUSH, () => { z.off('data', onData); resolve(Buffer.concat(out)); }));
}

const dataOf = (events: ProxyEvent[], session: number, direction: string, layer: string): Buffer[] =>
  events.flatMap((e) => (e.type === 'data' && e.session === session && e.direction === direction && e.layer === layer ? [e.bytes] : []));

const closedSession = (r: Rig, session: number): Promise<void> => new Promise((resolve) => {
  const check = (): void => {
    if (r.events.some((e) => e.type === 'session-close' && e.session === session)) resolve();
    else setTimeout(check, 10);
  };
  check();
});

test('a DEFLATE bomb: the inflated copy stops at its bound with a finding; wire bytes forwarded and recorded unchanged', async () => {
  const bounds: InflateBounds = { floorBytes: 1024 * 1024, ratio: 10, sliceBytes: 256 * 1024 };
  const r = await rig(bounds);
  const { client, server, serverGot } = await compressedSession(r);
  const z = createDeflateRaw({ level: 9 });
  const bomb = await deflated(z, Buffer.alloc(64 * 1024 * 1024));
  const noop = await deflated(z, Buffer.from('a2 NOOP\r\n'));
  const wire = Buffer.concat([bomb, noop]);
  const serverDone = new Promise<void>((resolve) => server.on('end', () => resolve()));
  client.end(wire);
  await serverDone;
  server.end();
  await closedSession(r, 1);
  await r.close();

  assert.ok(Buffer.concat(serverGot).equals(wire), 'the server got the compressed bytes unchanged');
  const recordedWire = Buffer.concat(dataOf(r.events, 1, 'client', 'wire'));
  assert.ok(recordedWire.subarray(recordedWire.length - wire.length).equals(wire), 'the capture holds the wire bytes');
  const inflated = dataOf(r.events, 1, 'client', 'inflated').reduce((n, b) => n + b.length, 0);
  const bound = bounds.floorBytes + bounds.ratio * wire.length;
  assert.ok(inflated <= bound, `inflated copy ${inflated} bytes, bound ${bound}`);
  assert.ok(inflated >= bounds.floorBytes, 'the inflated copy runs up to the bound');
  const findings = r.events.flatMap((e) => (e.type === 'finding' && e.session === 1 ? [e.finding] : []));
  assert.deepEqual(findings.map((f) => `${f.level} ${f.code}`), ['warning compress-inflate-limit']);
  assert.match(findings[0].message, /client's inflated copy stopped/);
});

test('a bomb is inflated in slices: another session\'s bytes are forwarded before the bomb\'s last inflated byte', async () => {
  const plain = 16 * 1024 * 1024;
  const r = await rig({ floorBytes: 64 * 1024 * 1024, ratio: 100, sliceBytes: 64 * 1024 });
  const bombSession = await compressedSession(r);
  const other = net.connect({ port: r.port, host: '127.0.0.1' });
  const otherServer = await r.nextUpstream();
  const greeting = readUntil(other, '\r\n');
  otherServer.write('* OK other\r\n');
  await greeting;
  const z = createDeflateRaw({ level: 9 });
  const bomb = await deflated(z, Buffer.alloc(plain));
  // When the bomb's first inflated bytes appear, the other session's server speaks.
  let pinged = false;
  r.onEvent = (e) => {
    if (!pinged && e.type === 'data' && e.session === 1 && e.layer === 'inflated') {
      pinged = true;
      otherServer.write('* OK ping\r\n');
    }
  };
  const ping = readUntil(other, 'ping');
  const bombIn = new Promise<void>((resolve) => {
    let n = 0;
    bombSession.server.on('data', (d: Buffer) => { n += d.length; if (n >= bomb.length) resolve(); });
  });
  bombSession.client.write(bomb);
  await Promise.all([ping, bombIn]);
  bombSession.client.end();
  bombSession.server.end();
  await closedSession(r, 1);
  other.destroy();
  otherServer.destroy();
  await r.close();

  const inflatedEvents = r.events.map((e, i) => ({ e, i })).filter(({ e }) => e.type === 'data' && e.session === 1 && e.layer === 'inflated');
  const total = inflatedEvents.reduce((n, { e }) => n + (e.type === 'data' ? e.bytes.length : 0), 0);
  assert.equal(total, plain, 'under its bound the whole stream is inflated');
  const pingAt = r.events.findIndex((e) => e.type === 'data' && e.session === 2 && e.layer === 'wire' && e.bytes.includes('ping'));
  assert.ok(pingAt >= 0);
  assert.ok(pingAt < inflatedEvents[inflatedEvents.length - 1].i, 'the other session was served while the bomb was inflating');
  // The bomb session's end comes after all its inflated bytes.
  const closeAt = r.events.findIndex((e) => e.type === 'session-close' && e.session === 1);
  assert.ok(closeAt > inflatedEvents[inflatedEvents.length - 1].i);
});

test('a direction that ends while its inflation is still queued is inflated in full before the session closes', async () => {
  const plain = 8 * 1024 * 1024;
  const r = await rig({ floorBytes: 64 * 1024 * 1024, ratio: 100, sliceBytes: 32 * 1024 });
  const { client, server } = await compressedSession(r);
  const z = createDeflateRaw({ level: 9 });
  const wire = Buffer.concat([await deflated(z, Buffer.alloc(plain, 0x61)), await deflated(z, Buffer.from('\r\na2 NOOP\r\n'))]);
  client.end(wire);
  await new Promise<void>((resolve) => server.on('end', () => resolve()));
  server.end();
  await closedSession(r, 1);
  await r.close();
  const inflated = Buffer.concat(dataOf(r.events, 1, 'client', 'inflated'));
  assert.equal(inflated.length, plain + 11);
  assert.ok(inflated.subarray(plain).equals(Buffer.from('\r\na2 NOOP\r\n')));
  const frames = r.events.flatMap((e) => (e.type === 'frame' && e.frame.session === 1 && e.frame.direction === 'client' ? [e.frame] : []));
  assert.ok(frames.some((f) => f.tag === 'a2'), 'the last command is framed');
});
