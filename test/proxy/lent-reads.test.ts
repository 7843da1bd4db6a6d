// The server's socket reads into one reused buffer (lent-reads.ts, issue 10). Whatever keeps a lent
// chunk past the call must have a copy: a socket write that could not finish at once (the client
// reads slowly), the capture writer (it writes later, and holds the last packet back for findings),
// a layer at its boundary. A mistake shows as bytes overwritten by a later read, so the bytes
// here differ from one read to the next and are compared whole, at the client and in the capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as path from 'node:path';
import { PcapngCaptureWriter } from '../../src/capture/pcapng/pcapng-capture-writer';
import { EventBus } from '../../src/imap/events';
import { LENT_READ_TIERS, LentReads, lendAccepted, lentReadsOf } from '../../src/proxy/lent-reads';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { readPcapng, streamBytes, tmpDir } from '../capture/pcapng/pcapng-support';

/** Fill the shared first-tier buffer once: the socket then reads into a 64 KiB buffer of its own. */
function ownBuffer(lent: LentReads): Buffer {
  const shared = lent.next();
  lent.read(shared.length, shared);
  const own = lent.next();
  assert.notEqual(own, shared);
  return own;
}

test('the first tier is one buffer for every socket; its readers get copies, so nothing keeps it', () => {
  const a = new LentReads();
  const b = new LentReads();
  assert.equal(a.next(), b.next(), 'one buffer for both: idle sockets own none');
  const shared = a.next();
  const seen: Buffer[] = [];
  a.lendTo((chunk) => { seen.push(chunk); return 'kept'; }, () => assert.fail('nothing came early'));
  shared.write('NOOP\r\n');
  a.read(6, shared);
  assert.equal(a.next(), shared, 'a short read: still the shared buffer');
  shared.write('XXXXXX'); // b's next read lands in the same memory
  assert.equal(seen[0].toString(), 'NOOP\r\n', 'the reader was given a copy');
  assert.notEqual(seen[0].buffer, shared.buffer);
});

test('a kept chunk is left to its keeper: the next read gets a fresh buffer; a released one is reused', () => {
  const lent = new LentReads();
  const fates: Array<'kept' | 'released'> = ['released', 'released', 'kept'];
  const seen: Buffer[] = [];
  lent.lendTo((chunk) => { seen.push(chunk); return fates.shift() ?? 'released'; }, () => assert.fail('nothing came early'));
  const first = ownBuffer(lent);
  seen.length = 0;
  first.write('abc');
  assert.equal(lent.read(3, first), true);
  assert.equal(lent.next(), first, 'released: the same buffer again');
  assert.equal(lent.read(3, first), true);
  assert.notEqual(lent.next(), first, 'kept: a new buffer for the next read');
  assert.equal(lent.next().length, first.length, 'of the same size: a kept chunk says nothing of what is coming');
  assert.deepEqual(seen.map((c) => c.toString()), ['abc', 'abc']);
});

test('a kept buffer is read into again once its keeper is done with it (writesDone), never before', () => {
  const lent = new LentReads();
  let fate: 'kept' | 'released' = 'released';
  lent.lendTo(() => fate, () => assert.fail('nothing came early'));
  const a = ownBuffer(lent);
  fate = 'kept';
  lent.read(10, a); // a is in a socket's write queue now
  const b = lent.next();
  assert.notEqual(b, a);
  lent.read(10, b); // b kept too, before any drain: a new buffer again, a is not handed out
  const c = lent.next();
  assert.ok(c !== a && c !== b);
  lent.writesDone(); // the socket drained: a and b are free; b, the last kept, is the spare
  lent.read(10, c); // c kept
  assert.equal(lent.next(), b, 'the drained buffer instead of a new one');
  fate = 'released';
  lent.read(10, b);
  assert.equal(lent.next(), b, 'released: the same buffer again');
  fate = 'kept';
  lent.read(10, b); // b kept, c still in the queue: no spare
  const d = lent.next();
  assert.ok(d !== a && d !== b && d !== c, 'a spare is given out once');
});

test('reads start small and grow a tier each time one fills the buffer, up to the last tier', () => {
  const lent = new LentReads();
  lent.lendTo(() => 'released', () => undefined);
  const first = lent.next();
  assert.equal(first.length, 1024);
  lent.read(100, first);
  assert.equal(lent.next(), first, 'a short read keeps the small buffer');
  const sizes: number[] = [first.length];
  for (let i = 0; i < 4; i++) {
    const buffer = lent.next();
    lent.read(buffer.length, buffer);
    sizes.push(lent.next().length);
  }
  assert.deepEqual(sizes, [1024, 64 * 1024, 1024 * 1024, 1024 * 1024, 1024 * 1024], 'full reads: more is coming, read it in bigger pieces');
  assert.deepEqual(LENT_READ_TIERS, [1024, 64 * 1024, 1024 * 1024]);
  const big = lent.next();
  lent.read(10, big);
  assert.equal(lent.next(), big, 'a short read after a bulk transfer keeps the buffer (no churn)');
});

test('a read before any reader is copied and pauses the socket; the reader gets it first', () => {
  const lent = new LentReads();
  const buffer = lent.next();
  buffer.write('early');
  assert.equal(lent.read(5, buffer), false, 'pause: nobody reads yet');
  buffer.write('XXXXX'); // the buffer is reused: the copy must not change
  const owned: string[] = [];
  assert.equal(lent.lendTo(() => 'released', (chunk) => owned.push(chunk.toString())), true, 'the caller resumes the socket');
  assert.deepEqual(owned, ['early']);
});

/** `total` bytes in which every 1000-byte block differs (a block number), as literal bodies. */
function patterned(total: number): Buffer {
  const out = Buffer.alloc(total);
  for (let at = 0, n = 0; at < total; at += 1000, n++) out.write(`${String(n).padStart(12, '0')}`.repeat(84).slice(0, Math.min(1000, total - at)), at, 'latin1');
  return out;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * `upstream` listening on loopback, and a recording proxy in front of it: the proxy's port, and
 * `close()`, which closes proxy, upstream and capture and returns the capture's stream of `side`.
 */
async function recordingProxy(upstream: net.Server, name: string): Promise<{ port: number; close(side: 'client' | 'server'): Promise<Buffer> }> {
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const file = path.join(tmpDir(), name);
  const writer = new PcapngCaptureWriter(file, 'test', Date.now() * 1000);
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port }, sink: new EventBus().add(writer), flow: writer });
  const { port } = await proxy.listen();
  return {
    port,
    async close(side) {
      await proxy.close();
      await new Promise<void>((r) => upstream.close(() => r()));
      await writer.close();
      const { events } = await readPcapng(file);
      return streamBytes(events, 1, side);
    },
  };
}

test('a slow client and a recording proxy: every byte arrives and is recorded as sent', async () => {
  const body = patterned(8 * 1024 * 1024);
  const head = Buffer.from(`* OK ready\r\n* 1 FETCH (BODY[] {${body.length}}\r\n`);
  const tail = Buffer.from(')\r\n* 2 FETCH (FLAGS (\\Seen))\r\n');
  const sent = Buffer.concat([head, body, tail]);
  // The client reads only while the server is blocked: every buffer on the way is full then, so
  // the proxy's writes to the client stay queued while it goes on reading small chunks from the
  // server into the lent buffer (a queued write below the socket's high-water mark does not pause).
  let blocked: () => void = () => undefined;
  let serverBlocked = false;
  const upstream = net.createServer((s) => {
    // Small writes of odd sizes, one per turn: the proxy's reads are small too. Reads end
    // mid-line and mid-literal.
    let at = 0;
    const step = (): void => {
      serverBlocked = false;
      if (at >= sent.length) { s.end(); serverBlocked = true; blocked(); return; }
      const n = Math.min(1777 + (at % 3000), sent.length - at);
      const ok = s.write(sent.subarray(at, at + n));
      at += n;
      if (ok) { setImmediate(step); return; }
      s.once('drain', step);
      serverBlocked = true;
      blocked();
    };
    step();
  });
  const { port, close } = await recordingProxy(upstream, 'slow.pcapng');
  let recorded: Buffer = Buffer.alloc(0);
  let pauses = 0;
  try {
    const client = net.connect({ port, host: '127.0.0.1' });
    client.pause();
    const chunks: Buffer[] = [];
    let got = 0;
    blocked = () => client.resume();
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      // After each 512 KiB, stop until the server is blocked again (go on if it is already).
      if (got % (512 * 1024) < d.length) {
        client.pause();
        pauses++;
        if (serverBlocked) setImmediate(() => client.resume());
      }
    });
    client.pause();
    await new Promise<void>((resolve, reject) => { client.once('end', resolve); client.once('error', reject); });
    client.destroy();
    assert.ok(pauses > 4, `the client paused ${pauses} times`);
    assert.equal(sha(Buffer.concat(chunks)), sha(sent), 'the client got exactly what the server sent');
  } finally {
    recorded = await close('server');
  }
  assert.equal(sha(recorded), sha(sent), 'the capture holds exactly what the server sent');
});

test('bulk reads at the 1 MiB tier: a write the client cannot take at once keeps its buffer until the socket drained; every byte arrives and is recorded', async () => {
  const top = LENT_READ_TIERS[LENT_READ_TIERS.length - 1];
  // Seen from the proxy's side: the read sizes, and the first chunk that its write to the client kept.
  let readTop = false;
  let keptOne: () => void = () => undefined;
  const kept = new Promise<void>((resolve) => { keptOne = resolve; });
  const lendTo = LentReads.prototype.lendTo;
  const writesDone = LentReads.prototype.writesDone;
  let drained = 0;
  LentReads.prototype.writesDone = function (this: LentReads) { drained++; writesDone.call(this); };
  LentReads.prototype.lendTo = function (this: LentReads, reader, owned) {
    return lendTo.call(this, (chunk) => {
      if (chunk.buffer.byteLength === top) readTop = true;
      const fate = reader(chunk);
      if (fate === 'kept') keptOne();
      return fate;
    }, owned);
  };
  // 32 MiB: more than the loopback buffers between a client that does not read and the proxy hold.
  const body = patterned(32 * 1024 * 1024);
  const sent = Buffer.concat([Buffer.from(`* OK ready\r\n* 1 FETCH (BODY[] {${body.length}}\r\n`), body, Buffer.from(')\r\n')]);
  const { port, close } = await recordingProxy(net.createServer((s) => { s.end(sent); }), 'bulk.pcapng');
  let recorded: Buffer = Buffer.alloc(0);
  try {
    // The client does not read until a write of the proxy's had to keep its chunk; then it reads everything.
    const client = net.connect({ port, host: '127.0.0.1' });
    client.pause();
    const chunks: Buffer[] = [];
    client.on('data', (d: Buffer) => chunks.push(d));
    await kept;
    client.resume();
    await new Promise<void>((resolve, reject) => { client.once('end', resolve); client.once('error', reject); });
    client.destroy();
    assert.ok(readTop, 'the proxy read into a 1 MiB buffer');
    assert.ok(drained > 0, 'the client socket drained: the kept buffers were handed back for reuse');
    assert.equal(sha(Buffer.concat(chunks)), sha(sent), 'the client got exactly what the server sent');
  } finally {
    LentReads.prototype.lendTo = lendTo;
    LentReads.prototype.writesDone = writesDone;
    recorded = await close('server');
  }
  assert.equal(sha(recorded), sha(sent), 'the capture holds exactly what the server sent');
});

test('an accepted socket moves to a lending one: reads arrive lent, writes and the FIN work, the server still closes', async () => {
  const sent = patterned(3 * 1024 * 1024);
  let echoed: Promise<void> = Promise.resolve();
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (accepted) => {
    const s = lendAccepted(accepted, true);
    assert.notEqual(s, accepted, 'a new socket object holds the connection');
    const lent = lentReadsOf(s);
    assert.ok(lent, 'its reads are lent');
    const got: Buffer[] = [];
    const sizes = new Set<number>();
    lent.lendTo((chunk) => { sizes.add(chunk.buffer.byteLength); got.push(Buffer.from(chunk)); return 'released'; }, (chunk) => got.push(chunk));
    s.resume();
    echoed = new Promise((resolve) => s.on('end', () => {
      assert.ok(sizes.has(LENT_READ_TIERS[LENT_READ_TIERS.length - 1]) || sizes.has(LENT_READ_TIERS[1]), `read buffers: ${[...sizes].join(', ')}`);
      s.end(Buffer.concat(got), resolve);
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const back: Buffer[] = [];
  client.on('data', (d: Buffer) => back.push(d));
  client.end(sent);
  await new Promise<void>((resolve, reject) => { client.once('end', resolve); client.once('error', reject); });
  await echoed;
  client.destroy();
  assert.equal(sha(Buffer.concat(back)), sha(sent), 'what the client sent came back whole, after its FIN');
  // The accepted socket object was destroyed without its handle: the server's count is back to 0.
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

test('a client uploads through a recording proxy (client socket lent): the server and the capture get every byte', async () => {
  const body = patterned(16 * 1024 * 1024);
  const sent = Buffer.concat([Buffer.from(`A1 APPEND INBOX {${body.length}+}\r\n`), body, Buffer.from('\r\n')]);
  let received: (b: Buffer) => void = () => undefined;
  const got = new Promise<Buffer>((resolve) => { received = resolve; });
  const upstream = net.createServer((s) => {
    s.write('* OK ready\r\n');
    const chunks: Buffer[] = [];
    let n = 0;
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= sent.length) { received(Buffer.concat(chunks)); s.end('A1 OK done\r\n'); }
    });
  });
  const { port, close } = await recordingProxy(upstream, 'upload.pcapng');
  let recorded: Buffer = Buffer.alloc(0);
  const read = LentReads.prototype.read;
  let bulkReads = 0;
  LentReads.prototype.read = function (this: LentReads, length: number, buffer: Buffer): boolean {
    if (buffer.length === LENT_READ_TIERS[LENT_READ_TIERS.length - 1]) bulkReads++;
    return read.call(this, length, buffer);
  };
  try {
    const client = net.connect(port, '127.0.0.1');
    client.once('data', () => client.write(sent));
    assert.equal(sha(await got), sha(sent), 'the server got exactly what the client sent');
    await new Promise<void>((resolve) => { client.on('end', resolve); client.resume(); });
    client.destroy();
    assert.ok(bulkReads > 0, 'the proxy read the upload into its 1 MiB lent buffer');
  } finally {
    LentReads.prototype.read = read;
    recorded = await close('client');
  }
  assert.equal(sha(recorded), sha(sent), 'the capture holds exactly what the client sent');
});
