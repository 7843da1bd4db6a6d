// Capture -> Dovecot rawlog pair -> capture gives the same frames: with timestamps even the frame
// times survive; without them the protocol interleaving must still frame everything the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportRawlog } from '../../src/capture/rawlog-export';
import { importRawlog } from '../../src/capture/rawlog-import';
import { framesOf } from './frames-of';

const FIXTURES = path.resolve(__dirname, '../../../fixtures');

for (const name of ['idle-updates', 'login-literal', 'authenticate-plain', 'big-fetch']) {
  for (const timestamps of [true, false]) {
    test(`${name}: rawlog export ${timestamps ? 'with' : 'without'} timestamps, then import, gives the same frames`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-rawlog-'));
      try {
        const source = path.join(FIXTURES, `${name}.imapcap`);
        const r = await exportRawlog(source, path.join(dir, 'pair'), { timestamps });
        assert.deepEqual(r.written, [path.join(dir, 'pair.in'), path.join(dir, 'pair.out')]);
        const firstLine = fs.readFileSync(path.join(dir, 'pair.out'), 'latin1').split('\n')[0];
        if (timestamps) assert.match(firstLine, /^[0-9]{10,}\.[0-9]{6} \* OK /);
        else assert.match(firstLine, /^\* OK /);
        const back = path.join(dir, 'back.imapcap');
        await importRawlog(path.join(dir, 'pair'), back, 'test');
        const expected = (await framesOf(source, timestamps)).map((f) => ({ ...f, session: 1 }));
        assert.deepEqual(await framesOf(back, timestamps), expected);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
