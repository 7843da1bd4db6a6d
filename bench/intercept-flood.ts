// What a chatty (or hostile) server costs while the TUI's intercept is in the session (issue 11):
//   npx tsc -p tsconfig.json && node dist/bench/intercept-flood.js [FILTER] [SECONDS]
// A loopback server writes 12-byte `* 1 EXISTS` lines as fast as the proxy reads them for SECONDS
// (default 3). FILTER (default `~dir s`) is the intercept filter: with it, the first frame is held
// and everything behind it queues in the executor; with '' nothing is held (the cost of the gate
// alone); with `none` the session has no stage at all (the proxy without the TUI's intercept).
// Prints the bytes that reached the client and the RSS the process grew by.
import * as net from 'node:net';
import { EventBus } from '../src/imap/events';
import { ProxyServer } from '../src/proxy/proxy-server';
import { Interceptor } from '../src/lab/intercept-stage';

async function main(): Promise<void> {
  const filter = process.argv[2] ?? '~dir s';
  const seconds = Number(process.argv[3] ?? 3);
  const intercept = new Interceptor();
  if (filter !== 'none') intercept.setFilter(filter);
  let written = 0;
  const line = Buffer.from('* 1 EXISTS\r\n'.repeat(8192));
  let stop = false;
  const upstream = net.createServer((s) => {
    s.on('error', () => undefined);
    const pump = (): void => {
      while (!stop) {
        written += line.length;
        if (!s.write(line)) { s.once('drain', pump); return; }
      }
    };
    pump();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port },
    sink: new EventBus().add(intercept), sessionOptions: () => ({ stages: filter === 'none' ? [] : [intercept.stage] }) });
  const { port } = await proxy.listen();
  const base = process.memoryUsage().rss;
  let received = 0;
  const client = net.connect(port, '127.0.0.1');
  client.on('data', (d: Buffer) => { received += d.length; });
  let peak = base;
  for (let i = 0; i < seconds * 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  stop = true;
  const mib = (n: number): string => (n / 1048576).toFixed(1);
  process.stdout.write(`filter ${JSON.stringify(filter)}: held ${intercept.count} frames; the server wrote ${mib(written)} MiB, `
    + `the client got ${mib(received)} MiB in ${seconds} s; RSS ${mib(base)} -> peak ${mib(peak)} MiB (+${mib(peak - base)})\n`);
  intercept.releaseAll();
  client.destroy();
  await proxy.close();
  upstream.close();
  process.exit(0);
}

void main();
