// Shared pieces of the pcapng tests: fixture events through the writer, real Wireshark tools, event
// comparison (frames compared as the writer stores them: secrets overwritten).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCapture } from '../../../src/capture/capture-reader';
import { withSecretsOverwritten } from '../../../src/capture/record-encoding';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { readPcapngCapture, type PcapngReadOptions, type PcapngReadResult } from '../../../src/capture/pcapng/pcapng-capture-reader';
import type { ProxyEvent } from '../../../src/imap/events';

export const FIXTURES = path.resolve(__dirname, '../../../../fixtures');
export const FIXTURE_NAMES = ['idle-updates', 'compress', 'starttls', 'big-fetch', 'authenticate-plain', 'login-literal'];

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-pcapng-'));
}

/** The fixtures kept in the JSON Lines format too (backward compatibility); the others are pcapng only. */
export const JSONL_FIXTURE_NAMES = ['compress', 'login-literal', 'idle-updates'];

/** A fixture's events: from its JSON Lines file where one is kept, else from its pcapng file. */
export async function fixtureEvents(name: string): Promise<ProxyEvent[]> {
  const events: ProxyEvent[] = [];
  const ext = JSONL_FIXTURE_NAMES.includes(name) ? 'imapcap' : 'pcapng';
  await readCapture(path.join(FIXTURES, `${name}.${ext}`), (e) => { events.push(e); });
  return events;
}

export async function writePcapng(file: string, events: ProxyEvent[], createdUs = 1): Promise<PcapngCaptureWriter> {
  const writer = new PcapngCaptureWriter(file, 'imapdbg test', createdUs);
  for (const e of events) {
    writer.handle(e);
    if (writer.congested) await writer.whenDrained();
  }
  await writer.close();
  return writer;
}

export async function readPcapng(file: string, options?: PcapngReadOptions): Promise<{ events: ProxyEvent[]; result: PcapngReadResult }> {
  const events: ProxyEvent[] = [];
  const result = await readPcapngCapture(file, (e) => { events.push(e); }, options);
  return { events, result };
}

/** Events in a form deepStrictEqual compares readably: frames as stored (secrets overwritten), bytes as hex. */
export function comparable(events: ProxyEvent[]): unknown[] {
  return events.map((e) => (e.type === 'frame' ? { ...e, frame: withSecretsOverwritten(e.frame) }
    : e.type === 'data' ? { ...e, bytes: e.bytes.toString('hex') } : e));
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[]): ToolRun {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** `tshark -q -z follow,tcp,raw,N`: the bytes each node sent (node 0 opened the connection: the client). */
export function followRaw(file: string, stream: number): { client: Buffer; server: Buffer } {
  const r = run('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${stream}`]);
  const client: Buffer[] = [];
  const server: Buffer[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (!m) continue;
    (m[1] === '\t' ? server : client).push(Buffer.from(m[2], 'hex'));
  }
  return { client: Buffer.concat(client), server: Buffer.concat(server) };
}

/** All bytes of one session's direction and layer, as the events carry them. */
export function streamBytes(events: ProxyEvent[], session: number, direction: 'client' | 'server', layer: 'wire' | 'inflated' = 'wire'): Buffer {
  return Buffer.concat(events.flatMap((e) => (e.type === 'data' && e.session === session && e.direction === direction && e.layer === layer ? [e.bytes] : [])));
}

/** A session that fetches one big literal, in 64 KiB chunks as a socket delivers them. */
export function bigLiteralSession(id: number, literalBytes: number, client = '127.0.0.1:50000', upstream = '127.0.0.1:143'): ProxyEvent[] {
  const t0 = 1_795_000_000_000_000;
  const events: ProxyEvent[] = [{ type: 'session-open', session: { id, startUs: t0, client, upstream, listen: '127.0.0.1:1143' } }];
  const data = (direction: 'client' | 'server', bytes: Buffer, dt: number): ProxyEvent => ({ type: 'data', session: id, direction, timeUs: t0 + dt, bytes, layer: 'wire' });
  events.push(data('server', Buffer.from('* OK ready\r\n'), 1));
  events.push(data('client', Buffer.from('a1 FETCH 1 BODY[]\r\n'), 2));
  const body = Buffer.alloc(literalBytes);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 9)) & 0xff;
  const stream = Buffer.concat([Buffer.from(`* 1 FETCH (BODY[] {${literalBytes}}\r\n`), body, Buffer.from(')\r\na1 OK done\r\n')]);
  for (let at = 0, n = 0; at < stream.length; at += 65536, n++) events.push(data('server', stream.subarray(at, at + 65536), 3 + n));
  events.push({ type: 'session-close', session: id, timeUs: t0 + 100_000, end: { by: 'client-closed' }, bytes: { client: 19, server: 12 + stream.length }, frames: 0 });
  return events;
}

/** The offsets at which each block of a pcapng file starts. */
export function blockOffsets(file: string): number[] {
  const buf = fs.readFileSync(file);
  const out: number[] = [];
  for (let at = 0; at + 8 <= buf.length; at += buf.readUInt32LE(at + 4)) out.push(at);
  return out;
}
