// CaptureWriter encodes and writes on a worker thread: the file must be byte for byte what
// encodeRecord gives for the same events in the same order, created 0600, complete after close(),
// with backpressure while the thread is behind and write errors reported, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCapture } from '../../src/capture/capture-reader';
import { CaptureWriter } from '../../src/capture/capture-writer';
import { encodeRecord } from '../../src/capture/record-encoding';
import { CAPTURE_FORMAT, CAPTURE_VERSION } from '../../src/capture/format';
import { EventBus, type ProxyEvent } from '../../src/imap/events';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/idle-updates.pcapng');
const TOOL = 'imapdbg test';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-capwriter-'));
}

function headerLine(createdUs: number): string {
  return `${JSON.stringify({ r: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, createdUs, tool: TOOL })}\n`;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Bytes that differ from chunk to chunk, every byte value included. */
function chunk(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

function data(size: number, seed: number, direction: 'client' | 'server' = 'server', layer: 'wire' | 'inflated' = 'wire'): ProxyEvent {
  return { type: 'data', session: 1 + (seed % 3), direction, timeUs: 1_700_000_000_000_000 + seed, bytes: chunk(size, seed), layer };
}

test('records are byte-identical to encodeRecord of the events, in order, across turns and batch sizes', async () => {
  const dir = tmpDir();
  try {
    // Real frames, session and data events from a fixture, then large and odd-sized chunks around them.
    const fixture: ProxyEvent[] = [];
    await readCapture(FIXTURE, (e) => { fixture.push(e); });
    assert.ok(fixture.some((e) => e.type === 'frame') && fixture.some((e) => e.type === 'session-open')
      && fixture.some((e) => e.type === 'session-close'));
    const events: ProxyEvent[] = [...fixture.slice(0, 5)];
    events.push(data(0, 1), data(1, 2, 'client'), data(2, 3), data(3, 4, 'client', 'inflated'));
    events.push({ type: 'finding', session: 1, timeUs: 5, finding: { level: 'warning', code: 'x-test', rfc: 'RFC 3501 7.5', message: 'é ünïcode ✓ "quoted" \\ \u0000' } });
    events.push({ type: 'tls', session: 2, timeUs: 6, tls: { leg: 'client', version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', sni: 'imap.example.org' } });
    for (let i = 0; i < 40; i++) events.push(data(65_536, 10 + i, i % 2 === 0 ? 'server' : 'client'));
    events.push(data(3 * 1024 * 1024 + 17, 100)); // bigger than a batch buffer
    events.push(...fixture.slice(5, 20));
    events.push(data(1024 * 1024, 101), data(1024 * 1024 - 1, 102), data(5, 103)); // exactly a batch, then one byte short
    events.push(...fixture.slice(20));

    const file = path.join(dir, 'c.imapcap');
    const writer = new CaptureWriter(file, TOOL, 42);
    // Some events in one turn, some spread over turns.
    for (const e of events) writer.handle(e);
    const later = [data(70_000, 200), ...fixture.slice(0, 3), data(10, 201)];
    for (const e of later) { writer.handle(e); await turn(); }
    await writer.close();
    assert.equal(writer.error, undefined);

    const expected = headerLine(42) + [...events, ...later].map(encodeRecord).join('');
    const actual = fs.readFileSync(file);
    assert.equal(actual.length, Buffer.byteLength(expected, 'utf8'));
    assert.ok(actual.equals(Buffer.from(expected, 'utf8')), 'file differs from encodeRecord output');

    // And the reader gets the same events back.
    let n = 0;
    const r = await readCapture(file, () => { n += 1; });
    assert.equal(r.truncated, false);
    assert.equal(n, events.length + later.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the capture is created 0600 before the constructor returns; an existing file is refused, or with overwrite made 0600', async () => {
  const dir = tmpDir();
  const old = process.umask(0);
  try {
    const file = path.join(dir, 'new.imapcap');
    const writer = new CaptureWriter(file, TOOL, 1);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await writer.close();
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file, 'utf8'), headerLine(1));

    const existing = path.join(dir, 'old.imapcap');
    fs.writeFileSync(existing, 'previous content that is longer than a header line, to be truncated away '.repeat(10), { mode: 0o644 });
    assert.throws(() => new CaptureWriter(existing, TOOL, 2), /old\.imapcap: it exists \(pass --force to overwrite it\)$/);
    assert.equal(fs.statSync(existing).mode & 0o777, 0o644);
    const w2 = new CaptureWriter(existing, TOOL, 2, { overwrite: true });
    assert.equal(fs.statSync(existing).mode & 0o777, 0o600);
    await w2.close();
    assert.equal(fs.readFileSync(existing, 'utf8'), headerLine(2));
  } finally {
    process.umask(old);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('close() flushes what was handed over in the same turn, and a second close() is harmless', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'c.imapcap');
    const writer = new CaptureWriter(file, TOOL, 3);
    const events = [data(100, 1), data(200_000, 2), data(7, 3)];
    for (const e of events) writer.handle(e);
    const closing = writer.close();
    writer.handle(data(9, 4)); // after close(): ignored, not thrown
    await closing;
    await writer.close();
    assert.equal(fs.readFileSync(file, 'utf8'), headerLine(3) + events.map(encodeRecord).join(''));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a 100 MB burst through an EventBus makes the writer congested, then it drains', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'burst.imapcap');
    // Writes through the pool, as for a pipe or a slow disk (a regular file is written at once).
    const writer = new CaptureWriter(file, TOOL, 4, { writeMode: 'pool' });
    const bus = new EventBus().add(writer);
    const piece = chunk(65_536, 9);
    const count = (100 * 1024 * 1024) / piece.length;
    let congestedSeen = 0;
    for (let i = 0; i < count; i++) {
      bus.handle({ type: 'data', session: 1, direction: 'server', timeUs: i, bytes: piece, layer: 'wire' });
      if (writer.congested) congestedSeen += 1;
    }
    assert.ok(congestedSeen > 0, 'never congested');
    assert.equal(writer.congested, true);
    await writer.whenDrained();
    assert.equal(writer.congested, false);
    await bus.close();
    assert.equal(writer.error, undefined);
    const perRecord = encodeRecord({ type: 'data', session: 1, direction: 'server', timeUs: 0, bytes: piece, layer: 'wire' }).length;
    // Times 0..count-1 vary the record lengths by their digits only.
    let expectedSize = headerLine(4).length;
    for (let i = 0; i < count; i++) expectedSize += perRecord - 1 + String(i).length;
    assert.equal(fs.statSync(file).size, expectedSize);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a write error on the writer thread (/dev/full) sets error, stops recording and throws nothing', { skip: !fs.existsSync('/dev/full') }, async () => {
  const modeBefore = fs.statSync('/dev/full').mode;
  const reported: Error[] = [];
  const writer = new CaptureWriter('/dev/full', TOOL, 5, { overwrite: true, onError: (err) => reported.push(err) });
  for (let i = 0; i < 50; i++) writer.handle(data(65_536, i));
  for (let i = 0; i < 200 && writer.error === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(writer.error, 'no error reported');
  assert.equal((writer.error as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.deepEqual(reported, [writer.error], 'onError called once, with the first error');
  assert.equal(writer.congested, false);
  await writer.whenDrained();
  writer.handle(data(10, 1));
  writer.handle({ type: 'session-open', session: { id: 1, startUs: 1, client: 'a', upstream: 'b', listen: 'c' } });
  await writer.close();
  assert.equal((writer.error as NodeJS.ErrnoException).code, 'ENOSPC');
  // A device is never chmod'ed.
  assert.equal(fs.statSync('/dev/full').mode, modeBefore);
});

test('a symbolic link is never followed, with or without overwrite; the target stays untouched', async () => {
  const dir = tmpDir();
  try {
    const target = path.join(dir, 'target');
    fs.writeFileSync(target, 'precious');
    const link = path.join(dir, 'link.imapcap');
    fs.symlinkSync(target, link);
    for (const overwrite of [false, true]) {
      assert.throws(() => new CaptureWriter(link, TOOL, 1, { overwrite }), /link\.imapcap: it is a symbolic link/);
    }
    const dangling = path.join(dir, 'dangling.imapcap');
    fs.symlinkSync(path.join(dir, 'would-be-created'), dangling);
    assert.throws(() => new CaptureWriter(dangling, TOOL, 1), /dangling\.imapcap: it is a symbolic link/);
    assert.equal(fs.existsSync(path.join(dir, 'would-be-created')), false);
    assert.equal(fs.readFileSync(target, 'utf8'), 'precious');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
