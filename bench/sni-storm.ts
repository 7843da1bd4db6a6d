/**
 * Cost of many distinct SNI names (each needs its own leaf certificate) on the real CLI proxy with
 * implicit TLS, and what another session feels meanwhile:
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sni-storm.js [--names N] [--parallel P]
 *
 * Children: the fake IMAP server (plain) and `imapdbg proxy --tls --ca-dir TMP --headless`. This
 * process runs a NOOP loop on one TLS session (SNI "localhost", a name the first leaf already has)
 * for a baseline, then again while N connections (P at a time) each present a new SNI name and read
 * the greeting. Prints the proxy's CPU seconds for the storm, the NOOP round-trip p50/p99 before
 * and during it, and the number of files in the leaf cache directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import { cpuSeconds, memory, spawnReady } from './proc';

const BIN = path.resolve(__dirname, '../../bin/imapdbg');
const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const NAMES = arg('--names', 200);
const PARALLEL = arg('--parallel', 20);
// --same: every connection presents the same SNI (a name the first leaf has): the cost of the handshakes alone.
const SAME = args.includes('--same');

function tlsConnect(port: number, servername: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
}

function readLine(s: tls.TLSSocket, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString('latin1');
      if (pattern.test(seen)) { s.off('data', onData).off('error', reject); resolve(); }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** NOOP round trips on one session until `stop()` resolves; returns the times in ms. */
async function noopLoop(s: tls.TLSSocket, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.then(() => { done = true; });
  const times: number[] = [];
  for (let i = 0; !done; i++) {
    const t0 = performance.now();
    const ok = readLine(s, new RegExp(`n${i} OK`));
    s.write(`n${i} NOOP\r\n`);
    await ok;
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 2));
  }
  return times;
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-sni-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const server = await spawnReady('fake server', process.execPath, [path.resolve(__dirname, 'fake-imap-server.js')],
    { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
  const proxy = await spawnReady('imapdbg', process.execPath, [BIN, 'proxy', '--tls', '--ca-dir', path.join(tmp, 'ca'), '--headless',
    '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`], { announce: { stream: 'stderr', pattern: /listening on [^ ]*:(\d+)/ } });
  try {
    const watcher = await tlsConnect(proxy.port, 'localhost');
    await readLine(watcher, /\* OK/);
    // Let the key pool fill before the baseline (it starts with the proxy).
    await new Promise((r) => setTimeout(r, 3000));
    const baseline = await noopLoop(watcher, new Promise((r) => setTimeout(r, 3000)));
    const cpu0 = cpuSeconds(proxy.pid);
    const t0 = performance.now();
    let next = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      while (next < NAMES) {
        const i = next++;
        try {
          const s = await tlsConnect(proxy.port, SAME ? 'localhost' : `host${i}.storm.test`);
          await readLine(s, /\* OK/);
          s.destroy();
        } catch {
          failed++;
        }
      }
    };
    const storm = Promise.all(Array.from({ length: PARALLEL }, worker));
    const during = await noopLoop(watcher, storm);
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(proxy.pid) - cpu0;
    const leafDir = path.join(tmp, 'ca', 'leaves');
    const files = fs.existsSync(leafDir) ? fs.readdirSync(leafDir).length : 0;
    console.log(`${NAMES} ${SAME ? 'connections with one SNI name' : 'distinct SNI names'}, ${PARALLEL} at a time: ${wall.toFixed(1)} s wall, proxy CPU ${cpu.toFixed(1)} s, ${failed} failed, RSS ${(memory(proxy.pid).rss / 1048576).toFixed(0)} MB`);
    console.log(`other session's NOOP round trip: before p50 ${pct(baseline, 0.5).toFixed(1)} ms p99 ${pct(baseline, 0.99).toFixed(1)} ms (${baseline.length}); during p50 ${pct(during, 0.5).toFixed(1)} ms p99 ${pct(during, 0.99).toFixed(1)} ms max ${Math.max(...during).toFixed(1)} ms (${during.length})`);
    console.log(`leaf cache: ${files} files in ${leafDir}`);
    watcher.destroy();
  } finally {
    await proxy.stop();
    await server.stop();
  }
}

void main();
