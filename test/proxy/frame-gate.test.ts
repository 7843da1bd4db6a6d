// The executor of stage verdicts (FrameGate inside ProxySession), with raw TCP peers so every byte
// and FIN is visible. Stages here are small test stages; rules, scripts and intercept are tested
// in test/lab and end to end with Dovecot in test/e2e/lab-*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { EventBus, type ProxyEvent } from '../../src/imap/events';
import type { Frame } from '../../src/imap/frame';
import type { FrameStage, SessionCommand, StageResult } from '../../src/lab/frame-stage';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { GATE_FRAME_LIMIT } from '../../src/proxy/frame-gate';
import { waitForEvent } from '../harness/event-wait';
import { receivedUntil } from '../harness/lines';

const source = { kind: 'rule', index: 1, text: 'test' } as const;
type Decide = (frame: Frame, bytes: Buffer) => StageResult;

interface Rig {
  events: ProxyEvent[];
  nextUpstream: Promise<net.Socket>;
  port: number;
  close(): Promise<void>;
}

async function rig(decide: Decide, onOpen?: (emit: (c: SessionCommand[]) => void) => void): Promise<Rig> {
  let accept!: (s: net.Socket) => void;
  const nextUpstream = new Promise<net.Socket>((r) => { accept = r; });
  const sockets = new Set<net.Socket>();
  // Not half-open: a test server answers the proxy's FIN with its own, as most servers do.
  const upstream = net.createServer((s) => { sockets.add(s); accept(s); });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const events: ProxyEvent[] = [];
  const bus = new EventBus().add({ handle: (e) => { events.push(e); } });
  const stage: FrameStage = { onFrame: (frame, bytes) => decide(frame, bytes), onSessionOpen: (_s, emit) => onOpen?.(emit) };
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port }, sink: bus,
    sessionOptions: () => ({ stages: [stage] }) });
  const { port } = await proxy.listen();
  return { events, nextUpstream, port, close: async () => { await proxy.close(); for (const s of sockets) s.destroy(); await new Promise<void>((r) => upstream.close(() => r())); } };
}

const forward: StageResult = { verdict: { kind: 'forward' } };

function ended(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((resolve) => { socket.once('end', () => resolve(Buffer.concat(chunks).toString('latin1'))); socket.once('error', () => resolve(Buffer.concat(chunks).toString('latin1'))); });
}

test('a forward-only stage delivers every byte unchanged; delivered data equals wire data', async () => {
  const r = await rig(() => forward);
  const client = net.connect({ port: r.port, host: '127.0.0.1' });
  const server = await r.nextUpstream;
  server.write('* OK hi\r\n* CAPABILITY IMAP4rev1 IDLE\r\n');
  await receivedUntil(client, (s) => s.includes('IDLE\r\n'));
  client.write('a1 NOOP\r\n');
  await receivedUntil(server, (s) => s.includes('a1 NOOP\r\n'));
  server.write('a1 OK done\r\n');
  await receivedUntil(client, (s) => s.includes('a1 OK'));
  client.end();
  await waitForEvent(r.events, (e) => e.type === 'session-close');
  const bytes = (layer: string, d: string): string => r.events.filter((e): e is Extract<ProxyEvent, { type: 'data' }> => e.type === 'data' && e.layer === layer && e.direction === d).map((e) => e.bytes.toString('latin1')).join('');
  assert.equal(bytes('delivered', 'server'), bytes('wire', 'server'));
  assert.equal(bytes('delivered', 'client'), 'a1 NOOP\r\n');
  assert.equal(r.events.filter((e) => e.type === 'intervention').length, 0);
  await r.close();
});

test('delay, drop and replace keep the order of each direction and are recorded', async () => {
  const r = await rig((frame) => {
    if (frame.verb === 'EXISTS' && frame.parts[0].type === 'line' && frame.parts[0].line.text.startsWith('* 1 ')) {
      return { verdict: { kind: 'delay', ms: 30, source, detail: 'late' } };
    }
    if (frame.verb === 'EXISTS' && frame.parts[0].type === 'line' && frame.parts[0].line.text.startsWith('* 2 ')) {
      return { verdict: { kind: 'drop', source, detail: 'gone' } };
    }
    if (frame.verb === 'RECENT') return { verdict: { kind: 'replace', bytes: Buffer.from('* 9 RECENT\r\n'), source, action: 'replace', detail: 'nine' } };
    return forward;
  });
  const client = net.connect({ port: r.port, host: '127.0.0.1' });
  const server = await r.nextUpstream;
  server.write('* OK hi\r\n* 1 EXISTS\r\n* 2 EXISTS\r\n* 0 RECENT\r\n* 3 EXISTS\r\n');
  const seen = await receivedUntil(client, (s) => s.includes('* 3 EXISTS\r\n'));
  assert.equal(seen, '* OK hi\r\n* 1 EXISTS\r\n* 9 RECENT\r\n* 3 EXISTS\r\n');
  const actions = r.events.flatMap((e) => e.type === 'intervention' ? [`${e.intervention.action}:${e.intervention.frameSeq}`] : []);
  assert.deepEqual(actions, ['delay:2', 'drop:3', 'replace:4']);
  client.destroy();
  await r.close();
});

test('inject after a frame and from a timer; close client ends both sides after what is queued', async () => {
  let emit!: (c: SessionCommand[]) => void;
  const r = await rig((frame) => frame.verb === 'NOOP'
    ? { verdict: { kind: 'forward' }, commands: [{ kind: 'inject', toward: 'client', bytes: Buffer.from('* OK injected\r\n'), source, detail: '* OK injected' }] }
    : forward, (e) => { emit = e; });
  const client = net.connect({ port: r.port, host: '127.0.0.1', allowHalfOpen: true });
  const server = await r.nextUpstream;
  const serverEnd = ended(server);
  server.write('* OK hi\r\n');
  await receivedUntil(client, (s) => s.includes('* OK hi\r\n'));
  const clientEnd = ended(client);
  client.write('a NOOP\r\n');
  await waitForEvent(r.events, (e) => e.type === 'intervention');
  emit([{ kind: 'inject', toward: 'client', bytes: Buffer.from('* BYE bye\r\n'), source, detail: 'bye' },
    { kind: 'close', side: 'client', source, detail: 'close' }]);
  assert.equal(await clientEnd, '* OK injected\r\n* BYE bye\r\n');
  assert.equal(await serverEnd, 'a NOOP\r\n');
  await r.close();
});

test('a frame over the hold limit streams through unchanged, with one finding; the next frame is gated again', async () => {
  const size = GATE_FRAME_LIMIT * 3;
  const r = await rig((frame) => frame.verb === 'EXISTS'
    ? { verdict: { kind: 'replace', bytes: Buffer.from('* 7 EXISTS\r\n'), source, action: 'replace', detail: 'seven' } }
    : frame.verb === 'FETCH' ? { verdict: { kind: 'drop', source, detail: 'would drop' } } : forward);
  const client = net.connect({ port: r.port, host: '127.0.0.1' });
  const server = await r.nextUpstream;
  const body = Buffer.alloc(size, 0x62);
  server.write('* OK hi\r\n');
  server.write(`* 1 FETCH (BODY[] {${size}}\r\n`);
  server.write(body);
  server.write(')\r\n* 1 EXISTS\r\n');
  const seen = await receivedUntil(client, (s) => s.endsWith('EXISTS\r\n'));
  assert.equal(seen.length, '* OK hi\r\n'.length + `* 1 FETCH (BODY[] {${size}}\r\n`.length + size + ')\r\n* 7 EXISTS\r\n'.length);
  assert.ok(seen.endsWith(')\r\n* 7 EXISTS\r\n'));
  const notHeld = r.events.filter((e) => e.type === 'finding' && e.finding.code === 'lab-frame-not-held');
  assert.equal(notHeld.length, 1);
  client.destroy();
  await r.close();
});

test('blackhole: nothing crosses either way, both sockets stay open, a client FIN is not mirrored', async () => {
  let emit!: (c: SessionCommand[]) => void;
  const r = await rig(() => forward, (e) => { emit = e; });
  const client = net.connect({ port: r.port, host: '127.0.0.1', allowHalfOpen: true });
  const server = await r.nextUpstream;
  let serverGot = '';
  let serverEnded = false;
  server.on('data', (d: Buffer) => { serverGot += d.toString('latin1'); });
  server.on('end', () => { serverEnded = true; });
  server.write('* OK hi\r\n');
  await receivedUntil(client, (s) => s.includes('* OK hi'));
  emit([{ kind: 'blackhole', source, detail: 'nat forgot' }]);
  client.write('a NOOP\r\n');
  client.end();
  // The proxy read the NOOP and the FIN (its wire record and the end of the client direction) ...
  await waitForEvent(r.events, (e) => e.type === 'frame' && e.frame.verb === 'NOOP');
  server.write('* 5 EXISTS\r\n');
  await waitForEvent(r.events, (e) => e.type === 'frame' && e.frame.verb === 'EXISTS');
  // ... and delivered none of it.
  assert.equal(serverGot, '');
  assert.equal(serverEnded, false);
  assert.ok(!r.events.some((e) => e.type === 'data' && e.layer === 'delivered' && e.bytes.toString().includes('NOOP')));
  assert.ok(r.events.some((e) => e.type === 'intervention' && e.intervention.action === 'blackhole'));
  server.destroy();
  await r.close();
});
