// OpaqueRelay (non-IMAP ports through SOCKS5): bytes relayed and recorded as they are, never framed;
// a FIN is mirrored as a FIN after the data, a reset as a reset; the session closes once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { ProxyEvent } from '../../src/imap/events';
import { OpaqueRelay } from '../../src/proxy/opaque-relay';

/** A connected pair of sockets: [the end the test holds, the end the relay gets]. */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const outer = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const inner = await accepted;
  server.close();
  return [outer, inner];
}

function relay(): Promise<{ client: net.Socket; server: net.Socket; events: ProxyEvent[]; closed: Promise<void> }> {
  return (async () => {
    const [client, clientInner] = await pair();
    const [server, serverInner] = await pair();
    const events: ProxyEvent[] = [];
    let done: () => void = () => undefined;
    const closed = new Promise<void>((r) => { done = r; });
    new OpaqueRelay(clientInner, serverInner, { info: { id: 7, startUs: 1, client: 'c:1', upstream: 'smtp.example.org:587', listen: 'l:1' },
      sink: { handle: (e) => events.push(e) }, onClosed: done });
    return { client, server, events, closed };
  })();
}

const readAll = (s: net.Socket): Promise<string> => new Promise((resolve) => {
  let text = '';
  s.on('data', (d: Buffer) => { text += d.toString('latin1'); }).once('end', () => resolve(text));
});

test('relayed both ways, recorded unframed; FIN mirrored after the data; one session-close with the byte counts', async () => {
  const { client, server, events, closed } = await relay();
  const serverGot = readAll(server);
  client.end('EHLO client.example\r\n');
  assert.equal(await serverGot, 'EHLO client.example\r\n');
  const clientGot = readAll(client);
  server.end('220 smtp.example.org ESMTP\r\n');
  assert.equal(await clientGot, '220 smtp.example.org ESMTP\r\n');
  await closed;
  assert.equal(events[0].type === 'session-open' && events[0].session.opaque, true);
  assert.ok(!events.some((e) => e.type === 'frame' || e.type === 'finding'));
  const close = events.filter((e) => e.type === 'session-close');
  assert.equal(close.length, 1);
  assert.deepEqual(close[0].type === 'session-close' ? [close[0].bytes, close[0].frames, close[0].end.by] : [], [{ client: 21, server: 28 }, 0, 'client-closed']);
  const data = events.flatMap((e) => (e.type === 'data' ? [`${e.direction}:${e.bytes.toString('latin1')}`] : []));
  assert.deepEqual(data, ['client:EHLO client.example\r\n', 'server:220 smtp.example.org ESMTP\r\n']);
});

test('a reset from the server is mirrored to the client as a reset', async () => {
  const { client, server, events, closed } = await relay();
  const clientError = new Promise<string>((resolve) => client.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
  server.resetAndDestroy();
  assert.equal(await clientError, 'ECONNRESET');
  await closed;
  const close = events.find((e) => e.type === 'session-close');
  assert.equal(close?.type === 'session-close' ? close.end.by : '', 'error');
});
