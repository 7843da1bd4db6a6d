import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureWriter } from '../../src/capture/capture-writer';
import { readCaptureRanges } from '../../src/capture/frame-bytes';

test('readCaptureRanges: ranges across data records, per session and direction; short where the capture ends', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-fb-'));
  const file = path.join(dir, 'c.imapcap');
  const w = new CaptureWriter(file, 'test', 1);
  const data = (session: number, direction: 'client' | 'server', s: string): void =>
    w.handle({ type: 'data', session, direction, timeUs: 1, bytes: Buffer.from(s), layer: 'wire' });
  data(1, 'server', '0123');
  data(2, 'server', 'zzzz');
  data(1, 'client', 'cccc');
  data(1, 'server', '4567');
  data(1, 'server', '89');
  await w.close();
  try {
    const got = await readCaptureRanges(file, 1, 'server', [{ offset: 2, length: 5 }, { offset: 0, length: 1 }, { offset: 8, length: 10 }, { offset: 50, length: 3 }]);
    assert.deepEqual(got.map(String), ['23456', '0', '89', '']);
    assert.deepEqual((await readCaptureRanges(file, 2, 'server', [{ offset: 1, length: 2 }])).map(String), ['zz']);
    assert.deepEqual((await readCaptureRanges(file, 1, 'client', [{ offset: 0, length: 4 }])).map(String), ['cccc']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
