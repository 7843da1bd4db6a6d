// What imapdbg changed is recorded: intervention events and the delivered bytes survive both
// capture formats (writer -> reader), the wire bytes stay exactly what each peer sent, and a cut
// file still reads up to its last whole record or block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCapture } from '../../src/capture/capture-reader';
import { CaptureWriter } from '../../src/capture/capture-writer';
import type { ProxyEvent } from '../../src/imap/events';
import type { Direction } from '../../src/imap/frame';
import { changedSessionEvents, SESSION } from './changed-session';
import { redactPcapng } from '../../src/capture/pcapng/pcapng-redact';
import { followRaw, tmpDir, writePcapng } from './pcapng/pcapng-support';

async function writeJsonl(file: string, events: ProxyEvent[]): Promise<void> {
  const writer = new CaptureWriter(file, 'imapdbg test', 1);
  for (const e of events) writer.handle(e);
  await writer.close();
}

async function readAll(file: string): Promise<{ events: ProxyEvent[]; truncated: boolean }> {
  const events: ProxyEvent[] = [];
  const r = await readCapture(file, (e) => { events.push(e); });
  return { events, truncated: r.truncated };
}

function stream(events: ProxyEvent[], layer: 'wire' | 'delivered', direction: Direction): string {
  return Buffer.concat(events.flatMap((e) => (e.type === 'data' && e.layer === layer && e.direction === direction ? [e.bytes] : []))).toString('latin1');
}

function interventions(events: ProxyEvent[]): unknown[] {
  return events.flatMap((e) => (e.type === 'intervention' ? [{ session: e.session, timeUs: e.timeUs, intervention: e.intervention }] : []));
}

for (const format of ['pcapng', 'jsonl'] as const) {
  test(`${format}: interventions and delivered bytes are recorded beside the wire bytes`, async () => {
    const dir = tmpDir();
    try {
      const { events } = changedSessionEvents();
      const file = path.join(dir, `changed.${format}`);
      if (format === 'pcapng') await writePcapng(file, events);
      else await writeJsonl(file, events);
      const back = await readAll(file);
      assert.equal(back.truncated, false);
      assert.deepEqual(interventions(back.events), interventions(events));
      for (const d of ['client', 'server'] as const) {
        assert.equal(stream(back.events, 'wire', d), stream(events, 'wire', d), `wire ${d}`);
        assert.equal(stream(back.events, 'delivered', d), stream(events, 'delivered', d), `delivered ${d}`);
      }
      // The wire keeps what the server sent; the client received the BYE instead of the EXISTS.
      assert.match(stream(back.events, 'wire', 'server'), /\* 3 EXISTS/);
      assert.doesNotMatch(stream(back.events, 'delivered', 'server'), /\* 3 EXISTS/);
      assert.match(stream(back.events, 'delivered', 'server'), /\* BYE imapdbg says bye\r\n$/);
      assert.doesNotMatch(stream(back.events, 'delivered', 'client'), /a3 NOOP/);
      // Frames describe the wire: the same frames come back.
      assert.deepEqual(back.events.filter((e) => e.type === 'frame').map((e) => e.type === 'frame' && e.frame.seq),
        events.filter((e) => e.type === 'frame').map((e) => e.type === 'frame' && e.frame.seq));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${format}: a capture cut anywhere still reads, interventions up to the cut`, async () => {
    const dir = tmpDir();
    try {
      const { events } = changedSessionEvents();
      const file = path.join(dir, `whole.${format}`);
      if (format === 'pcapng') await writePcapng(file, events);
      else await writeJsonl(file, events);
      const whole = fs.readFileSync(file);
      const all = interventions((await readAll(file)).events).length;
      let seenSome = false;
      for (let cut = Math.floor(whole.length / 2); cut < whole.length; cut += 97) {
        const part = path.join(dir, `cut-${cut}.${format}`);
        fs.writeFileSync(part, whole.subarray(0, cut));
        const back = await readAll(part);
        const n = interventions(back.events).length;
        assert.ok(n <= all);
        if (n > 0) seenSome = true;
        fs.rmSync(part);
      }
      assert.ok(seenSome, 'some cut keeps an intervention');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('pcapng: a reader given a newer metadata version refuses it in one line', async () => {
  const dir = tmpDir();
  try {
    const { events } = changedSessionEvents();
    const file = path.join(dir, 'v.pcapng');
    await writePcapng(file, events);
    const bytes = fs.readFileSync(file);
    // Every metadata payload is "IDBG" 'M' version: make them all version 99.
    let at = bytes.indexOf('IDBGM');
    assert.ok(at > 0);
    while (at > 0) { bytes[at + 5] = 99; at = bytes.indexOf('IDBGM', at + 1); }
    fs.writeFileSync(file, bytes);
    await assert.rejects(readAll(file), /metadata version 99 .* newer than this imapdbg reads \(up to 2\); upgrade imapdbg/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pcapng: the session filter keeps its interventions and delivered bytes', async () => {
  const dir = tmpDir();
  try {
    const { events } = changedSessionEvents();
    const file = path.join(dir, 'one.pcapng');
    await writePcapng(file, events);
    const got: ProxyEvent[] = [];
    await readCapture(file, (e) => { got.push(e); }, { session: SESSION });
    assert.equal(interventions(got).length, 4);
    assert.match(stream(got, 'delivered', 'server'), /BYE/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pcapng --redact overwrites secrets in the delivered stream too, at its own offsets', async () => {
  const dir = tmpDir();
  try {
    const { events } = changedSessionEvents();
    // The delivered copy is shifted: imapdbg injected a line before the LOGIN reached the server.
    const at = events.findIndex((e) => e.type === 'data' && e.layer === 'delivered' && e.bytes.toString('latin1').startsWith('a1 LOGIN'));
    events.splice(at, 0, { type: 'data', session: SESSION, direction: 'client', timeUs: 1, bytes: Buffer.from('x0 NOOP\r\n'), layer: 'delivered' });
    const file = path.join(dir, 'changed.pcapng');
    await writePcapng(file, events);
    const out = path.join(dir, 'redacted.pcapng');
    const r = await redactPcapng(file, out);
    assert.equal(r.spans, 1);
    const back = await readAll(out);
    assert.equal(stream(back.events, 'wire', 'client').includes('secret'), false);
    assert.equal(stream(back.events, 'delivered', 'client').includes('secret'), false);
    assert.match(stream(back.events, 'delivered', 'client'), /^x0 NOOP\r\na1 LOGIN alice \*{6}\r\n/);
    assert.equal(fs.readFileSync(out).includes('secret'), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tshark follows the delivered bytes as their own TCP stream beside the wire stream', () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'changed.pcapng');
    return writePcapng(file, changedSessionEvents().events).then(() => {
      const wire = followRaw(file, 0);
      const delivered = followRaw(file, 1);
      assert.match(wire.server.toString('latin1'), /\+ idling\r\n\* 3 EXISTS\r\n$/);
      assert.match(delivered.server.toString('latin1'), /\+ idling\r\n\* BYE imapdbg says bye\r\n$/);
      assert.doesNotMatch(delivered.client.toString('latin1'), /a3 NOOP/);
      assert.match(wire.client.toString('latin1'), /a3 NOOP/);
    }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
});
