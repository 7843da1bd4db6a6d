// Measures the pcapng capture (numbers for the report, not a test): run with
//   node dist/test/capture/pcapng/pcapng-bench.js pipe none|pcapng|jsonl [MiB]   a Node pipe between Python peers, recording or not
//   node dist/test/capture/pcapng/pcapng-bench.js feed none|raw|pcapng|jsonl FILE [MiB]   the writer alone (FILE /dev/null: encoding only)
//   node dist/test/capture/pcapng/pcapng-bench.js make FILE [MiB]              a capture: one big-literal session, then a small one
//   node dist/test/capture/pcapng/pcapng-bench.js read FILE [meta|data] [SESSION]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { CaptureWriter } from '../../../src/capture/capture-writer';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { readPcapngCapture } from '../../../src/capture/pcapng/pcapng-capture-reader';
import type { EventSink, ProxyEvent } from '../../../src/imap/events';
import { bigLiteralSession } from './pcapng-support';

type Recorder = EventSink & { congested?: boolean; whenDrained?: () => Promise<void> };

const PY_SOURCE = `
import socket, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.recv(100)
n = int(sys.argv[1]) * 1024 * 1024
chunk = b'x' * (1024 * 1024)
c.sendall(b'* 1 FETCH (BODY[] {%d}\\r\\n' % n)
while n > 0:
    c.sendall(chunk[:min(n, len(chunk))]); n -= len(chunk)
c.sendall(b')\\r\\na1 OK\\r\\n'); c.close()
`;
const PY_SINK = `
import socket, sys
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
c.sendall(b'a1 FETCH 1 BODY[]\\r\\n')
n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
print(n, flush=True)
`;

/** The floor of any recording: the payload bytes appended to a file, nothing else. */
function rawWriter(file: string): Recorder {
  const out = fs.createWriteStream(file);
  return {
    handle: (e: ProxyEvent) => { if (e.type === 'data') out.write(e.bytes); },
    get congested() { return out.writableLength > 8 * 1024 * 1024; },
    whenDrained: () => new Promise<void>((r) => out.once('drain', () => r())),
    close: () => new Promise<void>((r) => out.end(() => r())),
  };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function pipe(mode: string, mib: number): Promise<void> {
  const source = spawn('python3', ['-c', PY_SOURCE, String(mib)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => source.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const file = `/tmp/imapdbg-bench-${process.pid}.${mode}`;
  fs.rmSync(file, { force: true });
  const rec: Recorder | undefined = mode === 'pcapng' ? new PcapngCaptureWriter(file, 'bench', Date.now() * 1000)
    : mode === 'jsonl' ? new CaptureWriter(file, 'bench', Date.now() * 1000) : mode === 'raw' ? rawWriter(file) : undefined;
  let id = 0;
  const server = net.createServer((client) => {
    const sessionId = ++id;
    const upstream = net.connect(port, '127.0.0.1');
    rec?.handle({ type: 'session-open', session: { id: sessionId, startUs: Date.now() * 1000, client: `${client.remoteAddress}:${client.remotePort}`, upstream: `127.0.0.1:${port}`, listen: 'bench' } });
    const forward = (from: net.Socket, to: net.Socket, direction: 'client' | 'server'): void => {
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) { from.pause(); to.once('drain', () => from.resume()); }
        if (rec) {
          rec.handle({ type: 'data', session: sessionId, direction, timeUs: Date.now() * 1000, bytes: chunk, layer: 'wire' });
          if (rec.congested && rec.whenDrained) { from.pause(); void rec.whenDrained().then(() => from.resume()); }
        }
      });
      from.on('end', () => to.end());
    };
    forward(client, upstream, 'client');
    forward(upstream, client, 'server');
    upstream.on('close', () => rec?.handle({ type: 'session-close', session: sessionId, timeUs: Date.now() * 1000, end: { by: 'server-closed' }, bytes: { client: 0, server: 0 }, frames: 0 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const cpu0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  const sink = spawn('python3', ['-c', PY_SINK, String((server.address() as net.AddressInfo).port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received = await new Promise<number>((resolve) => sink.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  await rec?.close?.();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds() - cpu0;
  server.close();
  const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  const gib = received / 2 ** 30;
  console.log(JSON.stringify({ mode, mib, received, seconds: +seconds.toFixed(3), mbPerS: +(received / 1e6 / seconds).toFixed(1),
    cpuSecondsPerGiB: +(cpu / gib).toFixed(2), captureBytes: size, sizeRatio: size ? +(size / received).toFixed(4) : 0,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  fs.rmSync(file, { force: true });
}

/** The writer alone: MiB of 64 KiB data events fed as fast as it takes them, to FILE (/dev/null: encoding cost only). */
async function feed(mode: string, file: string, mib: number): Promise<void> {
  const rec: Recorder | undefined = mode === 'pcapng' ? new PcapngCaptureWriter(file, 'bench', 1, { overwrite: true })
    : mode === 'jsonl' ? new CaptureWriter(file, 'bench', 1) : mode === 'raw' ? rawWriter(file) : undefined;
  const chunk = Buffer.alloc(65536, 0x61);
  const cpu0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  const head = bigLiteralSession(1, 0);
  rec?.handle(head[0]);
  for (let sent = 0, n = 0; sent < mib * 1024 * 1024; sent += chunk.length, n++) {
    rec?.handle({ type: 'data', session: 1, direction: 'server', timeUs: 1_795_000_000_000_000 + n, bytes: chunk, layer: 'wire' });
    if (rec?.congested && rec.whenDrained) await rec.whenDrained();
  }
  await rec?.close?.();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ feed: mode, file, mib, seconds: +seconds.toFixed(3), mbPerS: +(mib * 1.048576 / seconds).toFixed(0),
    cpuSecondsPerGiB: +((cpuSeconds() - cpu0) / (mib / 1024)).toFixed(3) }));
}

async function make(file: string, mib: number): Promise<void> {
  const w = new PcapngCaptureWriter(file, 'bench', 1, { overwrite: true });
  // Built chunk by chunk so a 1 GB capture never sits in memory.
  const literal = mib * 1024 * 1024;
  const head = bigLiteralSession(1, 0);
  const chunk = Buffer.alloc(65536, 0x61);
  w.handle(head[0]);
  w.handle(head[2]);
  for (let sent = 0, n = 0; sent < literal; sent += chunk.length, n++) {
    w.handle({ type: 'data', session: 1, direction: 'server', timeUs: 1_795_000_000_000_000 + n, bytes: chunk, layer: 'wire' });
    if (w.congested) await w.whenDrained();
  }
  w.handle({ type: 'session-close', session: 1, timeUs: 1_795_000_001_000_000, end: { by: 'client-closed' }, bytes: { client: 19, server: literal }, frames: 0 });
  for (const e of bigLiteralSession(2, 1000, '127.0.0.1:50002')) w.handle(e);
  await w.close();
  console.log(JSON.stringify({ file, bytes: fs.statSync(file).size }));
}

async function read(file: string, what: string, session: string | undefined): Promise<void> {
  const cpu0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  let events = 0;
  let dataBytes = 0;
  const r = await readPcapngCapture(file, (e: ProxyEvent) => { events++; if (e.type === 'data') dataBytes += e.bytes.length; },
    { data: what !== 'meta', ...(session ? { session: Number(session) } : {}) });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const size = fs.statSync(file).size;
  console.log(JSON.stringify({ what, session, events, dataBytes, seconds: +seconds.toFixed(4), captureMBPerS: +(size / 1e6 / seconds).toFixed(0),
    cpuSeconds: +(cpuSeconds() - cpu0).toFixed(3), seeked: r.pcapng.seeked, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

const [cmd, a, b, c] = process.argv.slice(2);
const job = cmd === 'feed' ? feed(a, b, Number(c ?? 512)) : cmd === 'pipe' ? pipe(a, Number(b ?? 512)) : cmd === 'make' ? make(a, Number(b ?? 1024)) : cmd === 'read' ? read(a, b ?? 'data', c) : Promise.reject(new Error('usage: pipe|make|read'));
job.catch((err: Error) => { console.error(err.message); process.exit(2); });
