// redactPcapng: a copy safe to attach to a bug report. LOGIN passwords (quoted, atom and literal)
// and AUTHENTICATE payloads are overwritten with '*' in the packets too, nothing else changes (same
// size, same events but for those bytes), and Wireshark's tools still read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureError } from '../../../src/capture/capture-reader';
import { redactPcapng } from '../../../src/capture/pcapng/pcapng-redact';
import { pseudonymizePcapng } from '../../../src/capture/pcapng/pcapng-pseudonymize';
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

test('pseudonymize: every fixture (COMPRESS, STARTTLS, literals, AUTHENTICATE) keeps its frames, stream lengths and index; tshark dissects as many IMAP lines', async () => {
  const dir = tmpDir();
  try {
    for (const name of ['compress', 'starttls', 'big-fetch', 'login-literal', 'authenticate-plain', 'idle-updates']) {
      const file = path.join(dir, `${name}.pcapng`);
      await writePcapng(file, await fixtureEvents(name));
      const out = path.join(dir, `${name}.pseudo.pcapng`);
      const summary = await pseudonymizePcapng(file, out);
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);
      const before = await readPcapng(file);
      const after = await readPcapng(out);
      const shape = (events: typeof before.events) => events.map((e) => (e.type === 'frame' ? `${e.frame.session}/${e.frame.direction}/${e.frame.kind}/${e.frame.offset}/${e.frame.length}`
        : e.type === 'data' ? `${e.session}/${e.layer}/${e.direction}/${e.bytes.length}` : e.type));
      assert.deepEqual(shape(after.events), shape(before.events), name);
      assert.equal(after.result.pcapng.indexed, true, name);
      const one = await readPcapng(out, { session: 1 });
      assert.equal(one.result.pcapng.seeked, true, name);
      assert.deepEqual(shape(one.events), shape(before.events.filter((e) => e.type !== 'data' || e.session === 1)), `${name}: through the moved index`);
      assert.ok(!fs.readFileSync(out).includes('127.0.0.1'), name);
      if (name === 'compress') {
        // The inflated copy is pseudonymized like plain traffic; the deflated wire bytes are overwritten.
        const wire = streamBytes(after.events, 1, 'client');
        assert.ok(wire.includes('<deflated> '), 'the compressed wire bytes are overwritten');
        assert.ok(!streamBytes(before.events, 1, 'client').includes('<deflated> '));
        assert.equal(streamBytes(after.events, 1, 'server', 'inflated').length, streamBytes(before.events, 1, 'server', 'inflated').length);
      }
      const open = before.events.find((e) => e.type === 'session-open');
      const port = open?.type === 'session-open' ? open.session.upstream.split(':').pop() : '143';
      const fields = (f: string) => run('tshark', ['-r', f, '-d', `tcp.port==${port},imap`, '-Y', 'imap', '-T', 'fields', '-e', 'imap.request', '-e', 'imap.response'])
        .stdout.split('\n').filter((l) => l !== '').length; // rows: a masked literal password (`******`) is a row with no request
      assert.ok(fields(file) >= 3, `${name}: tshark dissects the original`);
      assert.equal(fields(out), fields(file), `${name}: tshark lists as many IMAP lines`);
      assert.ok(summary.literals + summary.mailboxes + summary.secrets > 0, name);
      assert.equal(run('capinfos', [out]).status, 0, name);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pseudonymize: a capture cut mid-block (a killed writer) is copied up to its last whole block', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'c.pcapng');
    await writePcapng(file, await fixtureEvents('big-fetch'));
    const whole = fs.readFileSync(file);
    const cut = path.join(dir, 'cut.pcapng');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const out = path.join(dir, 'out.pcapng');
    await pseudonymizePcapng(cut, out);
    const back = await readPcapng(out);
    const was = await readPcapng(cut);
    assert.equal(back.events.filter((e) => e.type === 'frame').length, was.events.filter((e) => e.type === 'frame').length);
    assert.equal(back.result.pcapng.indexed, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
