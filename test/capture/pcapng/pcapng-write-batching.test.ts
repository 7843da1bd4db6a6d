// The pcapng writer batches its file writes (issue 10): a NOOP round trip used to cost two writes,
// one per event-loop turn with data, each a hand-off to libuv's pool and back on the forwarding
// thread. Timers are mocked, so the batch goes out only at its size limit or at close: the test
// counts writes, never time.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fs = require('node:fs'); // the module object itself, so the counter below sees the writer's writes
import * as path from 'node:path';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { readPcapng, streamBytes, tmpDir } from './pcapng-support';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('small packets, one per event-loop turn, are written in one batch, not one write each', async () => {
  const dir = tmpDir();
  const realWritev = fs.writev;
  const realWrite = fs.write;
  const realWriteSync = fs.writeSync;
  let writes = 0;
  (fs as { writev: unknown }).writev = (...args: unknown[]) => { writes++; return (realWritev as (...a: unknown[]) => void)(...args); };
  (fs as { write: unknown }).write = (...args: unknown[]) => { writes++; return (realWrite as (...a: unknown[]) => void)(...args); };
  (fs as { writeSync: unknown }).writeSync = (...args: unknown[]) => { writes++; return (realWriteSync as (...a: unknown[]) => number)(...args); };
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const file = path.join(dir, 'noops.pcapng');
    const writer = new PcapngCaptureWriter(file, 'test', 1);
    writer.handle({ type: 'session-open', session: { id: 1, startUs: 2, client: '127.0.0.1:40000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
    await turn();
    const before = writes;
    for (let i = 0; i < 50; i++) {
      writer.handle({ type: 'data', session: 1, direction: 'client', timeUs: 10 + i * 2, bytes: Buffer.from(`n${i} NOOP\r\n`), layer: 'wire' });
      await turn();
      writer.handle({ type: 'data', session: 1, direction: 'server', timeUs: 11 + i * 2, bytes: Buffer.from(`n${i} OK done\r\n`), layer: 'wire' });
      await turn();
    }
    assert.ok(writes - before <= 1, `${writes - before} file writes for 100 small packets`);
    mock.timers.reset();
    await writer.close();
    const { events } = await readPcapng(file);
    assert.equal(streamBytes(events, 1, 'client').toString(), Array.from({ length: 50 }, (_, i) => `n${i} NOOP\r\n`).join(''));
    assert.equal(streamBytes(events, 1, 'server').toString(), Array.from({ length: 50 }, (_, i) => `n${i} OK done\r\n`).join(''));
  } finally {
    mock.timers.reset();
    (fs as { writev: unknown }).writev = realWritev;
    (fs as { write: unknown }).write = realWrite;
    (fs as { writeSync: unknown }).writeSync = realWriteSync;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
