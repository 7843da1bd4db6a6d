// The SocksServer class with an injected resolver (no DNS): a resolver that never answers within
// the handshake bound gives "TTL expired" (0x06, what clients show as a timeout), an unknown name
// "host unreachable" (0x04); a good CONNECT to a loopback fake server becomes a framed IMAP session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { ProxyEvent } from '../../src/imap/events';
import { fixedResolver, type HostResolver } from '../../src/proxy/socks/host-resolver';
import { SocksServer } from '../../src/proxy/socks/socks-server';
import { upstreamTrustContext } from '../../src/proxy/tls/upstream-tls';

/** CONNECT to `name:port` by domain; resolves with the reply code and what followed it. */
function connectVia(port: number, name: string, target: number): Promise<{ code: number; after: string }> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), Buffer.from(name), Buffer.from([target >> 8, target & 0xff])]));
    });
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.includes('\r\n')) s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve({ code: got.length >= 4 ? got[3] : -1, after: got.subarray(12).toString('latin1') }));
  });
}

test('injected resolver: a hang is TTL expired (0x06), an unknown name host unreachable (0x04), a known one a session', async () => {
  const fake = net.createServer((c) => { c.end('* OK fake ready\r\n'); c.on('error', () => undefined); });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const fakePort = (fake.address() as net.AddressInfo).port;
  const known = fixedResolver({ 'imap.test.example': '127.0.0.1' });
  const resolver: HostResolver = (host) => (host === 'slow.test.example' ? new Promise(() => undefined) : known(host));
  const events: ProxyEvent[] = [];
  const problems: string[] = [];
  const sink = { handle: (e: ProxyEvent) => { events.push(e); } };
  let id = 1;
  const server = new SocksServer({
    listen: { host: '127.0.0.1', port: 0 }, resolver, handshakeTimeoutMs: 300, sink, nextSessionId: () => id++,
    onProblem: (line) => problems.push(line),
    ports: { imapPorts: new Set([fakePort]), tlsPorts: new Set() },
    tls: { trust: upstreamTrustContext(undefined, false), leaves: () => Promise.reject(new Error('no CA in this test')), sink, proxyNames: [] },
  });
  const bound = await server.listen();
  try {
    assert.deepEqual(await connectVia(bound.port, 'slow.test.example', 143), { code: 6, after: '' });
    assert.deepEqual(await connectVia(bound.port, 'gone.test.example', 143), { code: 4, after: '' });
    assert.deepEqual(await connectVia(bound.port, 'imap.test.example', fakePort), { code: 0, after: '* OK fake ready\r\n' });
  } finally {
    await server.close();
    fake.close();
  }
  assert.match(problems[0], /CONNECT slow\.test\.example:143: cannot resolve slow\.test\.example: ETIMEDOUT; replied TTL expired \(0x06\)/);
  assert.match(problems[1], /CONNECT gone\.test\.example:143: cannot resolve gone\.test\.example: ENOTFOUND; replied host unreachable \(0x04\)/);
  const open = events.find((e) => e.type === 'session-open');
  assert.equal(open?.type === 'session-open' ? open.session.upstream : '', `imap.test.example:${fakePort}`);
  assert.ok(events.some((e) => e.type === 'frame' && e.frame.kind === 'greeting'), 'framed as IMAP');
});
