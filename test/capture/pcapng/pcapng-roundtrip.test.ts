// The pcapng writer and reader together: every event of the committed fixtures comes back as it went
// in (frames with secrets overwritten, data bytes equal), metadata-only reads skip data, one session
// is read through the index, a file cut at any block boundary reads up to it, the file is 0600 and
// never replaces an existing one unless told to.
import { CaptureOpenError } from '../../../src/capture/capture-writer';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { captureFormatOf } from '../../../src/capture/pcapng/capture-format-sniffer';
import { readCaptureRanges } from '../../../src/capture/frame-bytes';
import { readPcapngRanges } from '../../../src/capture/pcapng/pcapng-frame-bytes';
import type { ProxyEvent } from '../../../src/imap/events';
import {
  JSONL_FIXTURE_NAMES,
  bigLiteralSession, blockOffsets, comparable, FIXTURE_NAMES, FIXTURES, fixtureEvents, readPcapng, streamBytes, tmpDir, writePcapng,
} from './pcapng-support';

/** Two fixtures as one capture of two sessions whose events interleave, as a busy proxy writes them. */
async function twoSessions(): Promise<ProxyEvent[]> {
  const a = await fixtureEvents('idle-updates');
  const b = (await fixtureEvents('login-literal')).map((e): ProxyEvent => {
    switch (e.type) {
      case 'session-open': return { ...e, session: { ...e.session, id: 2, client: '127.0.0.1:60002' } };
      case 'frame': return { ...e, frame: { ...e.frame, session: 2 } };
      default: return { ...e, session: 2 };
    }
  });
  const out: ProxyEvent[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]);
    if (i < b.length) out.push(b[i]);
  }
  return out;
}

test('every fixture round-trips: events out equal events in, in order', async () => {
  const dir = tmpDir();
  try {
    for (const name of FIXTURE_NAMES) {
      const events = await fixtureEvents(name);
      const file = path.join(dir, `${name}.pcapng`);
      const writer = await writePcapng(file, events);
      assert.equal(writer.error, undefined);
      const { events: back, result } = await readPcapng(file);
      assert.deepStrictEqual(comparable(back), comparable(events), name);
      assert.equal(result.truncated, false);
      assert.equal(result.pcapng.indexed, true);
      assert.equal(captureFormatOf(file), 'pcapng');
      if (JSONL_FIXTURE_NAMES.includes(name)) assert.equal(captureFormatOf(path.join(FIXTURES, `${name}.imapcap`)), 'jsonl');
      assert.equal(captureFormatOf(path.join(FIXTURES, `${name}.pcapng`)), 'pcapng');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('frames are stored with secrets overwritten; the packets keep the real bytes', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'login.pcapng');
    await writePcapng(file, await fixtureEvents('idle-updates'));
    const { events } = await readPcapng(file);
    const login = events.find((e) => e.type === 'frame' && e.frame.verb === 'LOGIN');
    assert.ok(login && login.type === 'frame');
    const line = login.frame.parts[0];
    assert.ok(line.type === 'line' && line.line.text === 'a1 LOGIN alice ******', JSON.stringify(line));
    const raw = fs.readFileSync(file);
    assert.ok(raw.includes('a1 LOGIN alice secret\r\n'), 'the packet carries the bytes as sent');
    assert.equal(raw.toString('latin1').split('alice secret').length, 2, 'only the packet holds the password, no metadata record');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('metadata-only read: the same events without data', async () => {
  const dir = tmpDir();
  try {
    const events = [...await fixtureEvents('big-fetch'), ...bigLiteralSession(7, 3_000_000)];
    const file = path.join(dir, 'meta.pcapng');
    await writePcapng(file, events);
    const { events: back } = await readPcapng(file, { data: false });
    assert.deepStrictEqual(comparable(back), comparable(events.filter((e) => e.type !== 'data')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('one session through the index, and by a scan when the index is gone: the same events', async () => {
  const dir = tmpDir();
  try {
    const events = [...bigLiteralSession(9, 4_000_000), ...await twoSessions()];
    const file = path.join(dir, 'two.pcapng');
    await writePcapng(file, events);
    for (const id of [1, 2, 9]) {
      const expected = comparable(events.filter((e) => (e.type === 'frame' ? e.frame.session : e.type === 'session-open' ? e.session.id : e.session) === id));
      const seek = await readPcapng(file, { session: id });
      assert.equal(seek.result.pcapng.seeked, true);
      assert.deepStrictEqual(comparable(seek.events), expected, `session ${id} by index`);
      // Without its last block (the index), as after a crash: a sequential scan.
      const offsets = blockOffsets(file);
      const cut = path.join(dir, 'noindex.pcapng');
      fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, offsets[offsets.length - 1]));
      const scan = await readPcapng(cut, { session: id });
      assert.equal(scan.result.pcapng.seeked, false);
      assert.equal(scan.result.truncated, false);
      assert.deepStrictEqual(comparable(scan.events), expected, `session ${id} by scan`);
    }
    assert.deepStrictEqual((await readPcapng(file, { session: 42 })).events, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file cut anywhere reads up to its last whole block, flagged truncated', async () => {
  const dir = tmpDir();
  try {
    const events = await fixtureEvents('compress');
    const file = path.join(dir, 'whole.pcapng');
    await writePcapng(file, events);
    const whole = fs.readFileSync(file);
    const offsets = blockOffsets(file);
    const full = comparable((await readPcapng(file)).events);
    const cut = path.join(dir, 'cut.pcapng');
    for (let i = 1; i < offsets.length; i++) {
      for (const k of [0, 1, 7]) {
        fs.writeFileSync(cut, whole.subarray(0, offsets[i] + k));
        const { events: back, result } = await readPcapng(cut);
        assert.equal(result.truncated, k !== 0, `cut at block ${i} + ${k}`);
        const got = comparable(back);
        // Everything read is a prefix of the whole file's events (the last data chunk may be partial only if cut between its segments).
        assert.deepStrictEqual(got, full.slice(0, got.length), `cut at block ${i} + ${k}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('created 0600 and exclusively: an existing file is refused unless overwrite, a symbolic link always', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'c.pcapng');
    await writePcapng(file, []);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.throws(() => new PcapngCaptureWriter(file, 't', 1), (err: Error) => err instanceof CaptureOpenError && /it exists \(pass --force/.test(err.message));
    // The same open as the JSON Lines writer's: a link planted where the capture goes is not followed.
    const link = path.join(dir, 'link.pcapng');
    fs.symlinkSync(path.join(dir, 'elsewhere'), link);
    assert.throws(() => new PcapngCaptureWriter(link, 't', 1, { overwrite: true }), (err: Error) => err instanceof CaptureOpenError && /symbolic link/.test(err.message));
    assert.equal(fs.existsSync(path.join(dir, 'elsewhere')), false);
    fs.chmodSync(file, 0o644);
    const w = new PcapngCaptureWriter(file, 't', 1, { overwrite: true });
    await w.close();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const { events, result } = await readPcapng(file);
    assert.deepStrictEqual(events, []);
    assert.equal(result.header.createdUs, 1);
    assert.equal(result.header.tool, 't');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('IPv6 peers and a big literal split into segments of at most 65495 bytes round-trip', async () => {
  const dir = tmpDir();
  try {
    const events = bigLiteralSession(3, 1_000_000, '[::1]:50001', '[2001:db8::5]:143');
    const file = path.join(dir, 'v6.pcapng');
    await writePcapng(file, events);
    assert.deepStrictEqual(comparable((await readPcapng(file)).events), comparable(events));
    const size = fs.statSync(file).size;
    assert.ok(size < 1_000_000 * 1.05, `capture ${size} bytes for 1 MB carried`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('readPcapngRanges gives the same bytes as the JSON Lines readCaptureRanges, for frames of every fixture', async () => {
  const dir = tmpDir();
  try {
    for (const name of JSONL_FIXTURE_NAMES) {
      const events = await fixtureEvents(name);
      const file = path.join(dir, `${name}.pcapng`);
      await writePcapng(file, events);
      const jsonl = path.join(FIXTURES, `${name}.imapcap`);
      for (const direction of ['client', 'server'] as const) {
        for (const layer of ['wire', 'inflated'] as const) {
          const frames = events.flatMap((e) => (e.type === 'frame' && e.frame.direction === direction ? [e.frame] : []));
          const ranges = [...frames.map((f) => ({ offset: f.offset, length: f.length })), { offset: 5, length: 3_000_000 }, { offset: 10_000_000, length: 5 }];
          const want = await readCaptureRanges(jsonl, 1, direction, ranges, layer);
          const got = await readPcapngRanges(file, 1, direction, ranges, layer);
          assert.deepStrictEqual(got.map((b) => b.toString('hex')), want.map((b) => b.toString('hex')), `${name} ${direction} ${layer}`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('byte ranges deep in a big stream come from the index seek points; the same bytes without the index', async () => {
  const dir = tmpDir();
  try {
    const events = [...bigLiteralSession(1, 5_000_000), ...bigLiteralSession(2, 3_000_000, '127.0.0.1:50002')];
    const file = path.join(dir, 'big.pcapng');
    await writePcapng(file, events);
    const offsets = blockOffsets(file);
    const noIndex = path.join(dir, 'noindex.pcapng');
    fs.writeFileSync(noIndex, fs.readFileSync(file).subarray(0, offsets[offsets.length - 1]));
    const server = streamBytes(events, 1, 'server');
    for (const offset of [0, 1_048_575, 1_048_576, 2_500_000, 4_999_990, 5_000_020, 9_000_000]) {
      const ranges = [{ offset, length: 70_000 }, { offset: offset + 100_000, length: 10 }];
      const expected = ranges.map((r) => server.subarray(r.offset, r.offset + r.length).toString('hex'));
      for (const f of [file, noIndex]) {
        const got = await readPcapngRanges(f, 1, 'server', ranges);
        assert.deepStrictEqual(got.map((b) => b.toString('hex')), expected, `${path.basename(f)} at ${offset}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
