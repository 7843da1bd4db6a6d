// The TUI's Interceptor as a stage of the real proxy (ProxyServer with its FrameGate) between raw
// loopback peers: a held client frame holds that session's later client frames while the server
// direction and other sessions flow; a hostile server's huge frame is never held, and a flood of
// matching frames stays within the hold caps; releasing delivers everything in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { EventBus, type ProxyEvent } from '../../src/imap/events';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { Interceptor } from '../../src/lab/intercept-stage';
import { waitForEvent } from '../harness/event-wait';
import { receivedUntil } from '../harness/lines';

interface Rig {
  events: ProxyEvent[];
  upstreams: net.Socket[];
  nextUpstream(): Promise<net.Socket>;
  port: number;
  close(): Promise<void>;
}

async function rig(intercept: Interceptor): Promise<Rig> {
  const upstreams: net.Socket[] = [];
  const waiting: Array<(s: net.Socket) => void> = [];
  const upstream = net.createServer((s) => {
    upstreams.push(s);
    waiting.shift()?.(s);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const events: ProxyEvent[] = [];
  const bus = new EventBus().add({ handle: (e) => { events.push(e); } });
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port }, sink: bus,
    sessionOptions: () => ({ stages: [intercept.stage] }) });
  const { port } = await proxy.listen();
  let seen = 0;
  return {
    events, upstreams, port,
    nextUpstream: () => {
      const index = seen++;
      return upstreams[index] ? Promise.resolve(upstreams[index]) : new Promise((r) => waiting.push(r));
    },
    close: async () => {
      await proxy.close();
      for (const s of upstreams) s.destroy();
      await new Promise<void>((r) => upstream.close(() => r()));
    },
  };
}

/** What the proxy has written toward `toward` in a session (the gate records it as it writes). */
function delivered(events: ProxyEvent[], session: number, from: 'client' | 'server'): string {
  return events.filter((e): e is Extract<ProxyEvent, { type: 'data' }> => e.type === 'data' && e.layer === 'delivered'
    && e.session === session && e.direction === from).map((e) => e.bytes.toString('latin1')).join('');
}

const framed = (session: number, text: string) => (e: ProxyEvent): boolean =>
  e.type === 'frame' && e.frame.session === session && e.frame.parts[0]?.type === 'line' && e.frame.parts[0].line.text === text;

test('a held client frame holds its session\'s later client frames; the server direction and other sessions flow', { timeout: 30_000 }, async () => {
  const intercept = new Interceptor();
  const r = await rig(intercept);
  try {
    intercept.setFilter('~c NOOP & ~s 1');
    const c1 = net.connect(r.port, '127.0.0.1');
    const s1 = await r.nextUpstream();
    const c2 = net.connect(r.port, '127.0.0.1');
    const s2 = await r.nextUpstream();
    c1.write('a1 NOOP\r\n');
    await waitForEvent(r.events, framed(1, 'a1 NOOP'));
    assert.equal(intercept.count, 1);
    c1.write('a2 CAPABILITY\r\n');
    // Once the model framed a2, the gate has decided about it: it waits behind a1, undelivered.
    await waitForEvent(r.events, framed(1, 'a2 CAPABILITY'));
    assert.equal(delivered(r.events, 1, 'client'), '');
    // The server side of the same session flows, and so does the other session (its NOOP is not held: ~s 1).
    s1.write('* OK still talking\r\n');
    await receivedUntil(c1, (s) => s.includes('* OK still talking\r\n'));
    c2.write('b1 NOOP\r\n');
    await receivedUntil(s2, (s) => s.includes('b1 NOOP\r\n'));
    assert.equal(delivered(r.events, 1, 'client'), '');
    // Forward: both client frames go, in order.
    intercept.forward(intercept.list()[0].id);
    assert.equal(await receivedUntil(s1, (s) => s.includes('a2 CAPABILITY\r\n')), 'a1 NOOP\r\na2 CAPABILITY\r\n');
    const actions = r.events.flatMap((e) => e.type === 'intervention' ? [`${e.intervention.action}:${e.intervention.frameSeq}`] : []);
    assert.deepEqual(actions, ['hold:1', 'forward:1']);
    c1.destroy();
    c2.destroy();
  } finally {
    await r.close();
  }
});

test('a hostile server: a 2 MiB frame is not held, a flood of matching frames stops at the cap, release delivers all in order', { timeout: 60_000 }, async () => {
  const intercept = new Interceptor({ frameBytes: 1024 * 1024, totalBytes: 16 * 1024 * 1024, frames: 50 });
  const notices: string[] = [];
  intercept.onChange((n) => { if (n) notices.push(n); });
  const r = await rig(intercept);
  try {
    intercept.setFilter('~dir s');
    const client = net.connect(r.port, '127.0.0.1');
    const server = await r.nextUpstream();
    const body = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const frame = Buffer.concat([Buffer.from(`* 1 FETCH (BODY[] {${body.length}}\r\n`), body, Buffer.from(')\r\n')]);
    server.write(frame);
    const big = await receivedUntil(client, (s) => s.endsWith(')\r\n'));
    assert.equal(big.length, frame.length);
    assert.equal(intercept.count, 0, 'larger than the gate holds: streamed, never offered for holding');
    const lines = Array.from({ length: 200 }, (_, i) => `* ${i + 1} EXISTS\r\n`).join('');
    server.write(lines);
    await waitForEvent(r.events, framed(1, '* 200 EXISTS'));
    assert.equal(intercept.count, 50, 'held up to the cap');
    assert.ok(notices.some((n) => /not held: 50 frames .* already held; forwarded/.test(n)), notices.join('\n'));
    assert.equal(intercept.releaseAll(), 50);
    assert.equal(await receivedUntil(client, (s) => s.includes('* 200 EXISTS\r\n')), lines, 'every frame, in order');
    client.destroy();
  } finally {
    await r.close();
  }
});

test('the proxy shuts the session while a frame is held: the frame leaves the held list', { timeout: 30_000 }, async () => {
  const intercept = new Interceptor();
  const r = await rig(intercept);
  const client = net.connect(r.port, '127.0.0.1');
  client.on('error', () => undefined);
  await r.nextUpstream();
  intercept.setFilter('~dir c');
  client.write('a1 LOGOUT\r\n');
  await waitForEvent(r.events, framed(1, 'a1 LOGOUT'));
  assert.equal(intercept.count, 1);
  await r.close();
  assert.ok(r.events.some((e) => e.type === 'session-close'));
  assert.equal(intercept.count, 0);
  client.destroy();
});
