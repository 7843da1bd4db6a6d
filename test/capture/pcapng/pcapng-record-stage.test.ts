// The pcapng writer encodes metadata records into a reused byte stage (record-bytes.ts) whose bytes
// must be exactly the records waiting: a record that fails half-way leaves nothing behind, and one
// too big for a packet option goes out in a block of its own, after the records before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ProxyEvent } from '../../../src/imap/events';
import type { Annotation, Frame } from '../../../src/imap/frame';
import { BLOCK_CUSTOM_COPY } from '../../../src/capture/pcapng/pcapng-blocks';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { RecordBytes } from '../../../src/capture/pcapng/record-bytes';
import { readPcapng, tmpDir } from './pcapng-support';

const open = (id: number): ProxyEvent => ({ type: 'session-open', session: { id, startUs: 1, client: `127.0.0.1:${40000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
const frame = (session: number, seq: number, text: string, annotations: Annotation[] = []): ProxyEvent => ({ type: 'frame', frame: {
  session, seq, direction: 'server', kind: 'untagged', timeUs: 5, endUs: 5, offset: 0, length: text.length + 2,
  parts: [{ type: 'line', line: { text, length: text.length + 2, offset: 0, truncated: false, ending: 'crlf' } }], secrets: [], annotations,
} satisfies Frame });
const framesOf = (events: ProxyEvent[]): string[] => events.flatMap((e) => (e.type === 'frame' ? [`${e.frame.session}/${e.frame.seq}`] : []));

/** The bodies of the file's custom blocks that carry records, as text. */
function recordBlocks(file: string): string[] {
  const buf = readFileSync(file);
  const out: string[] = [];
  for (let at = 0; at + 8 <= buf.length;) {
    const type = buf.readUInt32LE(at);
    const length = buf.readUInt32LE(at + 4);
    if (type === BLOCK_CUSTOM_COPY) out.push(buf.subarray(at + 8, at + length).toString('latin1'));
    at += length;
  }
  return out;
}

test('a frame record that fails half-way leaves nothing in the capture: the frames around it read back', async () => {
  const file = path.join(tmpDir(), 'throw.pcapng');
  const writer = new PcapngCaptureWriter(file, 'test', 1);
  writer.handle(open(1));
  writer.handle(frame(1, 1, '* OK one'));
  // A BigInt is not JSON: the record's encoding throws after its first fields are written.
  const bad = frame(1, 2, '* OK two', [{ kind: 'phase', phase: 'x', detail: { big: 1n } } as unknown as Annotation]);
  assert.throws(() => writer.handle(bad), /BigInt/);
  writer.handle(frame(1, 3, '* OK three'));
  await writer.close();
  assert.deepEqual(framesOf((await readPcapng(file)).events), ['1/1', '1/3']);
});

test('a record too big for a packet option goes in a block of its own, after a block with the records before it', async () => {
  const file = path.join(tmpDir(), 'big.pcapng');
  const writer = new PcapngCaptureWriter(file, 'test', 1);
  writer.handle(open(1));
  writer.handle(open(2));
  writer.handle(frame(1, 1, '* OK small'));
  writer.handle(frame(2, 1, `* OK ${'y'.repeat(70_000)}`));
  writer.handle(frame(1, 2, '* OK after'));
  await writer.close();
  assert.deepEqual(framesOf((await readPcapng(file)).events), ['1/1', '2/1', '1/2']);
  const blocks = recordBlocks(file);
  const big = blocks.filter((b) => b.includes('y'.repeat(70_000)));
  assert.equal(big.length, 1);
  assert.ok(!big[0].includes('* OK small') && !big[0].includes('* OK after'), 'the big record shares its block with no other');
  assert.ok(blocks.some((b) => b.includes('* OK small')), 'the record before it went out in a block first');
});

test('record bytes: dropping the front keeps the rest in order; a buffer grown past 1 MiB is let go at reset', () => {
  const out = new RecordBytes(4);
  out.ascii('abc\n');
  out.json('x"y');
  out.ascii('\n');
  out.dropFront(4);
  assert.equal(out.bytes.toString('utf8'), '"x\\"y"\n');
  out.dropFront(out.length);
  assert.equal(out.length, 0);
  out.utf8('é'.repeat(1_000_000));
  assert.ok(out.buffer.length > 1024 * 1024);
  out.reset();
  assert.ok(out.buffer.length <= 64 * 1024, `${out.buffer.length} bytes kept after reset`);
  out.number(42);
  assert.equal(out.bytes.toString(), '42');
});
