/**
 * The SOCKS5 front end's costs on the real CLI:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/socks-relay.js [--stalled N] [--mb M]
 *
 * Children: `imapdbg proxy --socks 127.0.0.1:0 --headless`. This process holds N connections that
 * stall mid-negotiation (greeting, then half a CONNECT request) and prints the proxy's RSS before
 * and with them; then sends M MiB through one CONNECT to a local discard server on a non-IMAP port
 * (an opaque session) and prints the throughput and the proxy's peak RSS meanwhile.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { memory, resetPeak, spawnReady } from './proc';

const BIN = path.resolve(__dirname, '../../bin/imapdbg');
const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const STALLED = arg('--stalled', 1000);
const MIB = arg('--mb', 1024);
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

function socksConnect(port: number, target: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      const name = Buffer.from('localhost');
      s.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, Buffer.from([target >> 8, target & 0xff])]));
    });
    let got = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length < 12) return;
      s.off('data', onData);
      if (got[3] !== 0) reject(new Error(`SOCKS reply ${got[3]}`)); else resolve(s);
    };
    s.on('data', onData).once('error', reject);
  });
}

async function main(): Promise<void> {
  const proxy = await spawnReady('imapdbg', process.execPath, [BIN, 'proxy', '--socks', '127.0.0.1:0', '--headless', '--handshake-timeout', '600'],
    { announce: { stream: 'stderr', pattern: /listening on 127\.0\.0\.1:(\d+)/ } });
  try {
    const before = memory(proxy.pid).rss;
    const stalled: net.Socket[] = [];
    for (let i = 0; i < STALLED; i++) {
      const s = net.connect({ port: proxy.port, host: '127.0.0.1' }, () => s.write(Buffer.from([5, 1, 0, 5, 1, 0, 3, 200, 0x61, 0x62])));
      s.on('error', () => undefined);
      stalled.push(s);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const withStalled = memory(proxy.pid).rss;
    console.log(`stalled negotiations: ${STALLED}; proxy RSS ${mb(before)} before, ${mb(withStalled)} with them (+${((withStalled - before) / STALLED / 1024).toFixed(1)} KB each)`);
    for (const s of stalled) s.destroy();
    await new Promise((r) => setTimeout(r, 1000));

    let received = 0;
    const sink = net.createServer((c) => c.on('data', (d) => { received += d.length; }).on('end', () => c.end()));
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.address() as net.AddressInfo).port;
    const s = await socksConnect(proxy.port, sinkPort);
    resetPeak(proxy.pid);
    const rssBefore = memory(proxy.pid).rss;
    const chunk = Buffer.alloc(1 << 20, 0x41);
    const t0 = performance.now();
    for (let i = 0; i < MIB; i++) if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
    s.end();
    while (received < MIB * chunk.length) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    const peak = memory(proxy.pid).hwm;
    console.log(`opaque relay: ${MIB} MiB in ${seconds.toFixed(2)} s (${(MIB / seconds).toFixed(0)} MiB/s); proxy RSS ${mb(rssBefore)} before, peak ${mb(peak)}`);
    sink.close();
  } finally {
    await proxy.stop();
  }
}

void main().catch((err: unknown) => { console.error(err); process.exit(1); });
