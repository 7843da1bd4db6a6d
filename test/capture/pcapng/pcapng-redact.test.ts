// redactPcapng: a copy safe to attach to a bug report. LOGIN passwords (quoted, atom and literal)
// and AUTHENTICATE payloads are overwritten with '*' in the packets too, nothing else changes (same
// size, same events but for those bytes), and Wireshark's tools still read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureError } from '../../../src/capture/capture-reader';
import { redactPcapng } from '../../../src/capture/pcapng/pcapng-redact';
import { comparable, fixtureEvents, followRaw, readPcapng, run, streamBytes, tmpDir, writePcapng } from './pcapng-support';

const SECRETS: Record<string, string> = {
  'idle-updates': 'a1 LOGIN alice secret\r\n',
  'login-literal': 'secret\r\n',
  'authenticate-plain': 'AGFsaWNlAHNlY3JldA==',
};

test('secrets are overwritten in the packets, same length; everything else is unchanged', async () => {
  const dir = tmpDir();
  try {
    for (const [name, secret] of Object.entries(SECRETS)) {
      const events = await fixtureEvents(name);
      const file = path.join(dir, `${name}.pcapng`);
      await writePcapng(file, events);
      const redacted = path.join(dir, `${name}.redacted.pcapng`);
      const summary = await redactPcapng(file, redacted);
      assert.ok(summary.spans >= 1 && summary.bytes >= 6, `${name}: ${JSON.stringify(summary)}`);
      const before = fs.readFileSync(file);
      const after = fs.readFileSync(redacted);
      assert.ok(before.includes(secret), `${name}: the original packets hold the secret`);
      assert.ok(!after.includes(secret.replace(/^a1 LOGIN alice /, '')), `${name}: the copy does not`);
      assert.equal(after.length, before.length);
      assert.equal(fs.statSync(redacted).mode & 0o777, 0o600);
      // The same events, but for the secret bytes of the client stream.
      const back = (await readPcapng(redacted)).events;
      const strip = (list: typeof events) => comparable(list.filter((e) => e.type !== 'data'));
      assert.deepStrictEqual(strip(back), strip(events));
      const sent = streamBytes(events, 1, 'client');
      const got = streamBytes(back, 1, 'client');
      assert.equal(got.length, sent.length);
      const differing = [...got].flatMap((b, i) => (b !== sent[i] ? [b] : []));
      assert.equal(differing.length, summary.bytes);
      assert.ok(differing.every((b) => b === 0x2a));
      assert.ok(streamBytes(back, 1, 'server').equals(streamBytes(events, 1, 'server')));
      assert.ok(followRaw(redacted, 0).client.equals(got), `${name}: tshark sees the redacted bytes`);
      assert.equal(run('capinfos', [redacted]).status, 0);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('redaction refuses to replace an existing file unless told to', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'c.pcapng');
    await writePcapng(file, await fixtureEvents('idle-updates'));
    const out = path.join(dir, 'out.pcapng');
    fs.writeFileSync(out, 'keep me');
    await assert.rejects(redactPcapng(file, out), (err: Error) => err instanceof CaptureError && /already exists/.test(err.message));
    assert.equal(fs.readFileSync(out, 'utf8'), 'keep me');
    await redactPcapng(file, out, { overwrite: true });
    assert.ok(!fs.readFileSync(out).includes('alice secret'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
