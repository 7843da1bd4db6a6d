// The writer puts the metadata records that wait for a packet into that packet's options, written
// in place into its output (issue 10: the NOOP path with recording made several copies of each
// record). Checked here byte by byte: batches of at most 60,000 bytes of lines, each option the
// bytes of encodeOption(imapdbgPayload(...)) with zero padding, the lines in order, and the file
// read back whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from '../../../src/imap/frame';
import type { ProxyEvent } from '../../../src/imap/events';
import { BLOCK_EPB, encodeOption, imapdbgPayload, OPT_CUSTOM_BINARY_COPY, pad4, parseImapdbgPayload, PAYLOAD_RECORDS } from '../../../src/capture/pcapng/pcapng-blocks';
import { frameRecord, METADATA_VERSION } from '../../../src/capture/pcapng/metadata-records';
import { comparable, readPcapng, tmpDir, writePcapng } from './pcapng-support';

function commandFrame(seq: number, text: string): Frame {
  return {
    session: 1, seq, direction: 'client', kind: 'command', timeUs: 100 + seq, endUs: 100 + seq, offset: 0, length: text.length + 2,
    tag: `a${seq}`, verb: 'NOOP', parts: [{ type: 'line', line: { text, length: text.length + 2, offset: 0, truncated: false, ending: 'crlf' } }],
    secrets: [], annotations: [],
  };
}

/** Each EPB's options as [code, value] pairs. */
function packetOptions(file: string): Array<Array<[number, Buffer]>> {
  const buf = fs.readFileSync(file);
  const packets: Array<Array<[number, Buffer]>> = [];
  for (let at = 0; at + 8 <= buf.length; at += buf.readUInt32LE(at + 4)) {
    if (buf.readUInt32LE(at) !== BLOCK_EPB) continue;
    const total = buf.readUInt32LE(at + 4);
    assert.equal(buf.readUInt32LE(at + total - 4), total, 'trailing block length');
    const options: Array<[number, Buffer]> = [];
    let o = at + 28 + pad4(buf.readUInt32LE(at + 20));
    while (o < at + total - 4) {
      const code = buf.readUInt16LE(o);
      const length = buf.readUInt16LE(o + 2);
      if (code === 0) break;
      const padded = buf.subarray(o + 4 + length, o + 4 + pad4(length));
      assert.ok(padded.every((b) => b === 0), 'option padding is zero');
      options.push([code, buf.subarray(o + 4, o + 4 + length)]);
      o += 4 + pad4(length);
    }
    packets.push(options);
  }
  return packets;
}

test('records waiting for a packet ride on it in options of at most 60,000 bytes of lines, as encodeOption(imapdbgPayload) gives them', async () => {
  const dir = tmpDir();
  try {
    // 350 records of 300-700 bytes, some with multi-byte characters: several options, below the 256 KiB that goes as a block.
    const frames = Array.from({ length: 350 }, (_, i) => commandFrame(i + 1, `a${i + 1} NOOP ${(i % 3 === 0 ? 'ünïcode ✓ ' : 'ascii ').repeat(30 + (i % 7))}`));
    const events: ProxyEvent[] = [
      { type: 'session-open', session: { id: 1, startUs: 50, client: '127.0.0.1:40000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } },
      ...frames.map((frame): ProxyEvent => ({ type: 'frame', frame })),
      { type: 'data', session: 1, direction: 'client', timeUs: 700, bytes: Buffer.from('a1 NOOP\r\n'), layer: 'wire' },
      { type: 'session-close', session: 1, timeUs: 800, end: { by: 'client-closed' }, bytes: { client: 9, server: 0 }, frames: 350 },
    ];
    const file = path.join(dir, 'options.pcapng');
    await writePcapng(file, events);

    const carrying = packetOptions(file).filter((options) => options.some(([code]) => code === OPT_CUSTOM_BINARY_COPY));
    const lines: string[] = [];
    let biggest = 0;
    let most = 0;
    for (const options of carrying) {
      most = Math.max(most, options.length);
      for (const [code, value] of options) {
        assert.equal(code, OPT_CUSTOM_BINARY_COPY);
        const payload = parseImapdbgPayload(value);
        assert.ok(payload && payload.kind === PAYLOAD_RECORDS && payload.version === METADATA_VERSION, 'an imapdbg records payload');
        biggest = Math.max(biggest, payload.body.length);
        const composed = encodeOption(code, imapdbgPayload(PAYLOAD_RECORDS, METADATA_VERSION, payload.body));
        assert.equal(composed.length, 4 + pad4(value.length));
        assert.deepEqual(composed.subarray(4, 4 + value.length), value);
        lines.push(...payload.body.toString('utf8').split('\n').filter((l) => l !== ''));
      }
    }
    assert.ok(most >= 3, `the 350 frame records went out in ${most} options on one packet`);
    assert.ok(biggest <= 60_000 && biggest > 50_000, `largest batch ${biggest} bytes`);
    const frameLines = lines.filter((l) => l.startsWith('{"k":"frame"'));
    assert.deepEqual(frameLines, frames.map((f) => JSON.stringify(frameRecord(f))));

    const back = await readPcapng(file);
    assert.deepEqual(comparable(back.events.filter((e) => e.type === 'frame')), comparable(events.filter((e) => e.type === 'frame')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
