// A data event lends its bytes for the call only (events.ts: the proxy reads into a reused
// buffer). Every sink that keeps bytes past the call must copy them: here the buffer is
// overwritten right after each event, as the next socket read would, and what the sink kept
// must still be what the event carried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureWriter } from '../../../src/capture/capture-writer';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { readCaptureEvents } from '../../../src/capture/capture-export';
import type { ProxyEvent } from '../../../src/imap/events';
import { RecentBytes } from '../../../src/tui/view-model/recent-bytes';
import { readPcapng, streamBytes, tmpDir } from './pcapng-support';

const OPEN: ProxyEvent = { type: 'session-open', session: { id: 1, startUs: 1, client: '127.0.0.1:40000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } };
const PIECES = ['* OK ready\r\n', '* 1 FETCH (BODY[] {10}\r\n', '0123456789', ')\r\n', 'a1 OK done\r\n'];

/** Feeds the pieces through one lent buffer, overwritten after each event; every other piece is marked inside the literal. */
function feed(handle: (e: ProxyEvent) => void): void {
  handle(OPEN);
  const lent = Buffer.alloc(64);
  PIECES.forEach((piece, i) => {
    const n = lent.write(piece, 'latin1');
    handle({ type: 'data', session: 1, direction: 'server', timeUs: 10 + i, bytes: lent.subarray(0, n), layer: 'wire', insideLiteral: i === 2 });
    lent.fill(0x58); // the next read lands here
  });
  handle({ type: 'session-close', session: 1, timeUs: 99, end: { by: 'server-closed' }, bytes: { client: 0, server: 0 }, frames: 0 });
}

test('the pcapng writer keeps copies: held packets and literal middles alike', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'lent.pcapng');
    const writer = new PcapngCaptureWriter(file, 't', 1);
    feed((e) => writer.handle(e));
    await writer.close();
    const { events } = await readPcapng(file);
    assert.equal(streamBytes(events, 1, 'server').toString('latin1'), PIECES.join(''));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the JSON Lines writer and the TUI\'s recent bytes keep copies', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'lent.imapcap');
    const writer = new CaptureWriter(file, 't', 1, { writeMode: 'pool' });
    const recent = new RecentBytes();
    feed((e) => { writer.handle(e); recent.handle(e); });
    await writer.close();
    const chunks: Buffer[] = [];
    await readCaptureEvents(file, { revealSecrets: true, data: true }, (e) => { if (e.type === 'data') chunks.push(e.bytes); });
    assert.equal(Buffer.concat(chunks).toString('latin1'), PIECES.join(''));
    const total = PIECES.join('').length;
    const [kept] = await recent.read(1, 'server', [{ offset: 0, length: total }]);
    assert.equal(kept.toString('latin1'), PIECES.join(''));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
