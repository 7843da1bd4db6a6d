// A ScriptStage inside the real proxy session and its executor (FrameGate), raw TCP peers: what
// the script decides reaches the client, and a hook error is recorded as a 'hook-error' intervention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { EventBus, type ProxyEvent } from '../../src/imap/events';
import type { Intervention } from '../../src/imap/intervention';
import type { LoadedScript } from '../../src/lab/script-loader';
import { ScriptRunner } from '../../src/lab/script-stage';
import { ProxyServer } from '../../src/proxy/proxy-server';

async function throughProxy(hooks: LoadedScript['hooks'], serverSays: string, clientWaitsFor: RegExp): Promise<{ received: string; interventions: Intervention[] }> {
  const upstream = net.createServer((s) => { s.on('error', () => undefined); s.write(serverSays); });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const events: ProxyEvent[] = [];
  const runner = new ScriptRunner({ path: '/s/proxy-test.js', label: 'proxy-test.js', hooks }, { revealSecrets: false });
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port },
    sink: new EventBus().add({ handle: (e) => { events.push(e); } }), sessionOptions: () => ({ stages: [runner.stage()] }) });
  const { port } = await proxy.listen();
  try {
    const client = net.connect(port, '127.0.0.1');
    let received = '';
    await new Promise<void>((resolve) => client.on('data', (d: Buffer) => { received += d.toString('latin1'); if (clientWaitsFor.test(received)) resolve(); }));
    client.destroy();
    return { received, interventions: events.flatMap((e) => (e.type === 'intervention' ? [e.intervention] : [])) };
  } finally {
    await proxy.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  }
}

const SERVER = '* OK ready\r\n* 1 EXISTS\r\n* 2 EXISTS\r\n* 3 EXISTS\r\n* OK last\r\n';

test('the script drops, injects and fails inside the proxy: the client gets what it decided, the failure is recorded', async () => {
  const { received, interventions } = await throughProxy({
    onFrame: ((f: { verb?: string; text: string }) => {
      if (f.text === '* 2 EXISTS') return [{ action: 'drop' }, { action: 'inject', text: '* OK two was here' }];
      if (f.text === '* 3 EXISTS') throw new Error('three');
      return undefined;
    }) as never,
  }, SERVER, /\* OK last\r\n/);
  assert.equal(received, '* OK ready\r\n* 1 EXISTS\r\n* OK two was here\r\n* 3 EXISTS\r\n* OK last\r\n');
  assert.deepEqual(interventions.map((i) => `${i.action} ${i.toward} ${i.frameSeq ?? '-'} ${i.source.kind === 'script' ? `${i.source.file}:${i.source.hook}` : i.source.kind} ${i.detail}`), [
    'drop client 3 proxy-test.js:onFrame drop',
    'inject client 3 proxy-test.js:onFrame inject to client: 19 bytes "* OK two was here\\r\\n"',
    'hook-error client 4 proxy-test.js:onFrame onFrame threw Error: three; frame forwarded unchanged',
  ]);
});

test('an async hook holds its frame; later frames wait behind it, order kept', async () => {
  const { received } = await throughProxy({
    onFrame: (async (f: { text: string }) => {
      if (f.text !== '* 1 EXISTS') return undefined;
      await new Promise((r) => setImmediate(r));
      return { action: 'replace', text: '* 100 EXISTS' };
    }) as never,
  }, SERVER, /\* OK last\r\n/);
  assert.equal(received, '* OK ready\r\n* 100 EXISTS\r\n* 2 EXISTS\r\n* 3 EXISTS\r\n* OK last\r\n');
});
