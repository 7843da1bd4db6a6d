import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDeflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { InflateError, RawInflater } from '../../src/proxy/raw-inflater';
import { prng } from '../imap/transcript';

/** Compress messages the way COMPRESS=DEFLATE peers do: one stream, a sync flush after each message. */
async function deflateMessages(messages: Buffer[], options: ZlibOptions = {}): Promise<Buffer> {
  const z = createDeflateRaw(options);
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  for (const m of messages) {
    z.write(m);
    await new Promise<void>((resolve) => z.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  }
  return Buffer.concat(out);
}

function inflateChunks(chunks: Buffer[], outputChunk?: number): { out: Buffer; pieces: number; largest: number } {
  const pieces: Buffer[] = [];
  const inflater = new RawInflater((b) => pieces.push(b), outputChunk);
  for (const c of chunks) inflater.write(c);
  return { out: Buffer.concat(pieces), pieces: pieces.length, largest: Math.max(0, ...pieces.map((p) => p.length)) };
}

function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

const imapText = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) =>
  `* ${i + 1} FETCH (UID ${1000 + i} FLAGS (\\Seen) RFC822.SIZE ${i * 37 % 9000})\r\n`).join(''), 'latin1');

test('inflates an IMAP-like stream with sync flushes, split at every offset and byte by byte', async () => {
  const messages = [Buffer.from('a1 NOOP\r\n'), imapText(20), Buffer.from('a1 OK done\r\n')];
  const plain = Buffer.concat(messages);
  const deflated = await deflateMessages(messages);
  for (let k = 1; k < deflated.length; k++) assert.deepEqual(inflateChunks(splitAt(deflated, [k])).out, plain, `split at ${k}`);
  const bytes = Array.from({ length: deflated.length }, (_, i) => i);
  assert.deepEqual(inflateChunks(splitAt(deflated, bytes)).out, plain);
});

test('every block type and strategy: stored, fixed, dynamic, RLE, Huffman-only; random splits', async () => {
  const r = prng(7);
  const random = Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(r() * 256)));
  const text = imapText(3000);
  const cases: Array<[string, ZlibOptions]> = [
    ['level 0 (stored blocks)', { level: 0 }],
    ['fixed Huffman', { strategy: constants.Z_FIXED }],
    ['default', {}],
    ['best', { level: 9 }],
    ['RLE', { strategy: constants.Z_RLE }],
    ['Huffman only', { strategy: constants.Z_HUFFMAN_ONLY }],
  ];
  for (const [name, options] of cases) {
    const messages = [text.subarray(0, 70_000), random, text.subarray(70_000), Buffer.alloc(50_000, 0x41)];
    const plain = Buffer.concat(messages);
    const deflated = await deflateMessages(messages, options);
    for (let seed = 1; seed <= 5; seed++) {
      const rs = prng(seed);
      const cuts = Array.from({ length: 40 }, () => Math.floor(rs() * deflated.length));
      assert.ok(inflateChunks(splitAt(deflated, cuts)).out.equals(plain), `${name}, seed ${seed}`);
    }
  }
});

test('a whole deflateRawSync stream (final block) inflates; a byte after the final block is an error', () => {
  const plain = imapText(100);
  const deflated = deflateRawSync(plain);
  assert.ok(inflateChunks([deflated]).out.equals(plain));
  assert.throws(() => inflateChunks([deflated, Buffer.from([0])]), InflateError);
});

test('output comes in bounded pieces, however much one input byte expands', async () => {
  const plain = Buffer.alloc(5_000_000, 0x78);
  const deflated = await deflateMessages([plain], { level: 9 });
  assert.ok(deflated.length < 10_000);
  const { out, largest } = inflateChunks([deflated], 16 * 1024);
  assert.equal(out.length, plain.length);
  assert.ok(largest <= 16 * 1024);
});

test('corrupt input raises InflateError (never a crash); later writes keep failing the same way', () => {
  const pieces: Buffer[] = [];
  const inflater = new RawInflater((b) => pieces.push(b));
  assert.throws(() => inflater.write(Buffer.from([0xff, 0xff, 0xff, 0xff])), InflateError);
  assert.throws(() => inflater.write(Buffer.from('more')), InflateError);
  // A stored block whose NLEN is not LEN's complement.
  assert.throws(() => new RawInflater(() => undefined).write(Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00])), /complement/);
  // A fixed-Huffman block whose first symbol copies from distance 1: before the start of the stream.
  assert.throws(() => new RawInflater(() => undefined).write(bitsToBytes([
    [1, 1], [1, 2], // BFINAL, BTYPE 01 (fixed codes), both LSB first
    ...msbFirst(0b0000001, 7), // length code 257 (length 3), Huffman codes go MSB first
    ...msbFirst(0, 5), // distance code 0 (distance 1)
  ])), /too far back/);
});

/** Huffman code bits, most significant first, as single-bit fields. */
function msbFirst(code: number, len: number): Array<[number, number]> {
  return Array.from({ length: len }, (_, i): [number, number] => [(code >> (len - 1 - i)) & 1, 1]);
}

/** Pack [value, bit count] fields LSB first, as DEFLATE does (RFC 1951 3.1.1). */
function bitsToBytes(fields: Array<[number, number]>): Buffer {
  const out: number[] = [];
  let acc = 0;
  let n = 0;
  for (const [value, count] of fields) {
    for (let i = 0; i < count; i++) {
      acc |= ((value >> i) & 1) << n;
      n += 1;
      if (n === 8) { out.push(acc); acc = 0; n = 0; }
    }
  }
  if (n > 0) out.push(acc);
  return Buffer.from(out);
}

test('inflate(maxOutput) stops after about maxOutput bytes and resumes where it stopped, to the same output', async () => {
  const text = imapText(2000);
  const messages = [text, Buffer.alloc(3_000_000, 0x41), text];
  const plain = Buffer.concat(messages);
  for (const options of [{ level: 0 }, {}, { level: 9 }] as ZlibOptions[]) {
    const deflated = await deflateMessages(messages, options);
    const pieces: Buffer[] = [];
    const inflater = new RawInflater((b) => pieces.push(b), 16 * 1024);
    let calls = 0;
    for (const chunk of splitAt(deflated, [1000, 5000, deflated.length - 7])) {
      inflater.feed(chunk);
      for (;;) {
        const before = inflater.inflated;
        const done = inflater.inflate(100_000);
        calls += 1;
        // At most one output chunk and one match past the budget.
        assert.ok(inflater.inflated - before <= 100_000 + 16 * 1024 + 258, `${inflater.inflated - before} bytes in one call`);
        if (done) break;
      }
    }
    assert.ok(Buffer.concat(pieces).equals(plain), JSON.stringify(options));
    assert.ok(calls >= plain.length / (100_000 + 16 * 1024 + 258), `${calls} calls`);
  }
});
