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
        const source = path.join(FIXTURES, `${name}.pcapng`);
        // A lossless round trip needs the secrets as they were; the default export masks them (below).
        const r = await exportRawlog(source, path.join(dir, 'pair'), { timestamps, revealSecrets: true });
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

test('rawlog export masks LOGIN passwords and SASL data with a fixed-width mask (literal bodies byte for byte) unless revealed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-rawlog-'));
  try {
    for (const name of ['login-literal', 'authenticate-plain']) {
      const source = path.join(FIXTURES, `${name}.pcapng`);
      await exportRawlog(source, path.join(dir, `${name}-masked`), { timestamps: false });
      await exportRawlog(source, path.join(dir, `${name}-clear`), { timestamps: false, revealSecrets: true });
      const masked = fs.readFileSync(path.join(dir, `${name}-masked.in`), 'latin1');
      const clear = fs.readFileSync(path.join(dir, `${name}-clear.in`), 'latin1');
      assert.notEqual(masked, clear, `${name}: nothing was masked`);
      // A line secret becomes `********` whatever its length; a literal body (its {N} is in clear) keeps its length.
      const mask = name === 'login-literal' ? '\r\n******\r\n' : '\r\n********\r\n';
      assert.ok(masked.includes(mask), `${name}: no ${JSON.stringify(mask)} in ${JSON.stringify(masked)}`);
      // The harness's test password, in clear or as SASL PLAIN base64, appears only in the revealed export.
      for (const secret of ['secret', Buffer.from('\0alice\0secret').toString('base64')]) {
        assert.ok(!masked.includes(secret), `${name}: "${secret}" left in the masked export`);
      }
      assert.ok(clear.includes('secret') || clear.includes(Buffer.from('\0alice\0secret').toString('base64')));
      // The server side carries no secret and is left alone.
      assert.equal(fs.readFileSync(path.join(dir, `${name}-masked.out`), 'latin1'), fs.readFileSync(path.join(dir, `${name}-clear.out`), 'latin1'));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
