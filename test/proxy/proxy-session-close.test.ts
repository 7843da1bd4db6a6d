// Transport semantics of a session: a FIN is mirrored as a FIN after every byte read is
// delivered, a reset as a reset. The peers are raw TCP sockets so that resets can be provoked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { EventBus, type ProxyEvent } from '../../src/imap/events';
import { ProxyServer } from '../../src/proxy/proxy-server';

interface Rig {
  proxy: ProxyServer;
  events: ProxyEvent[];
  /** The server side of the next accepted upstream connection. */
  nextUpstream: Promise<net.Socket>;
  port: number;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  let accept!: (s: net.Socket) => void;
  const nextUpstream = new Promise<net.Socket>((r) => { accept = r; });
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => accept(s));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const events: ProxyEvent[] = [];
  const bus = new EventBus().add({ handle: (e) => { events.push(e); } });
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port }, sink: bus });
  const { port } = await proxy.listen();
  return { proxy, events, nextUpstream, port, close: async () => { await proxy.close(); await new Promise<void>((r) => upstream.close(() => r())); } };
}

function collect(socket: net.Socket): Promise<{ data: Buffer; how: 'end' | 'error' }> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((resolve) => {
    socket.once('end', () => resolve({ data: Buffer.concat(chunks), how: 'end' }));
    socket.once('error', () => resolve({ data: Buffer.concat(chunks), how: 'error' }));
  });
}

function closed(events: ProxyEvent[]): Promise<Extract<ProxyEvent, { type: 'session-close' }>> {
  return new Promise((resolve) => {
    const check = (): void => {
      const e = events.find((x) => x.type === 'session-close');
      if (e && e.type === 'session-close') resolve(e);
      else setTimeout(check, 10);
    };
    check();
  });
}

test('server FIN after a burst: the client gets every byte, then FIN; the session records who closed', async () => {
  const r = await rig();
  const client = net.connect({ port: r.port, host: '127.0.0.1', allowHalfOpen: true });
  const got = collect(client);
  const server = await r.nextUpstream;
  const burst = Buffer.alloc(3 * 1024 * 1024, 0x61);
  server.write('* OK hi\r\n');
  server.write(burst);
  server.end('\r\n* BYE done\r\n');
  const seen = await got;
  assert.equal(seen.how, 'end');
  assert.equal(seen.data.length, 9 + burst.length + 14);
  client.end();
  const close = await closed(r.events);
  assert.equal(close.end.by, 'server-closed');
  assert.equal(close.bytes.server, seen.data.length);
  await r.close();
});

test('client half-close: the server still answers and the client still receives it', async () => {
  const r = await rig();
  const client = net.connect({ port: r.port, host: '127.0.0.1', allowHalfOpen: true });
  const got = collect(client);
  const server = await r.nextUpstream;
  const atServer = collect(server);
  server.write('* OK hi\r\n');
  client.end('a1 LOGOUT\r\n');
  const fromClient = await atServer;
  assert.equal(fromClient.how, 'end');
  assert.equal(fromClient.data.toString(), 'a1 LOGOUT\r\n');
  server.end('* BYE\r\na1 OK LOGOUT completed\r\n');
  const seen = await got;
  assert.equal(seen.data.toString(), '* OK hi\r\n* BYE\r\na1 OK LOGOUT completed\r\n');
  assert.equal((await closed(r.events)).end.by, 'client-closed');
  await r.close();
});

test('a client reset is mirrored to the server as a reset', async () => {
  const r = await rig();
  const client = net.connect({ port: r.port, host: '127.0.0.1' });
  const server = await r.nextUpstream;
  const atServer = collect(server);
  await new Promise<void>((res) => client.write('a1 NOOP\r\n', () => res()));
  await new Promise((res) => setTimeout(res, 20)); // let the NOOP pass before the reset
  client.resetAndDestroy();
  const seen = await atServer;
  assert.equal(seen.how, 'error');
  assert.equal(seen.data.toString(), 'a1 NOOP\r\n');
  const close = await closed(r.events);
  assert.equal(close.end.by, 'error');
  await r.close();
});

test('an unreachable upstream gets the client an untagged BYE, not a hang', async () => {
  const probe = net.createServer();
  await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
  const deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((res) => probe.close(() => res()));
  const events: ProxyEvent[] = [];
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: deadPort }, sink: { handle: (e) => { events.push(e); } } });
  const { port } = await proxy.listen();
  const client = net.connect({ port, host: '127.0.0.1' });
  const seen = await collect(client);
  assert.match(seen.data.toString(), /^\* BYE \[UNAVAILABLE\] imapdbg: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED\r\n$/);
  assert.ok(events.some((e) => e.type === 'finding' && e.finding.code === 'upstream-unreachable'));
  await proxy.close();
});
