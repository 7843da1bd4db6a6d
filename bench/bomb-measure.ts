/**
 * A COMPRESS=DEFLATE bomb through the real CLI: capture size, the proxy's peak RSS, and how long
 * other sessions wait for their greeting meanwhile.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/bomb-measure.js [--mib 1024] [--bin path/to/bin/imapdbg]
 *
 * The fake server (in this process) accepts COMPRESS and digests the compressed bytes; python3 +
 * zlib sends MIB MiB of zeros deflated (1 GiB -> ~1 MB on the wire) through
 * `imapdbg proxy --headless --record FILE` (stdout to /dev/null); meanwhile this process opens a
 * plain session every 20 ms and times its greeting. --bin measures another tree (e.g. the old one).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PY_BOMB_CLIENT, startFakeCompressServer } from '../test/harness/deflate-bomb';
import { cpuSeconds, memory, spawnReady } from './proc';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const MIB = Number(opt('--mib', '1024'));
const BIN = path.resolve(opt('--bin', path.resolve(__dirname, '../../bin/imapdbg')));

function greetingMs(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('data', () => { resolve(performance.now() - t0); s.destroy(); });
    s.once('error', reject);
  });
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-bomb-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const capture = path.join(tmp, 'bomb.imapcap');
  const server = await startFakeCompressServer();
  const nodeArgs = (process.env.PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proxy = await spawnReady('imapdbg', process.execPath, [...nodeArgs, BIN, 'proxy', '--headless', '--record', capture,
    '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`], { announce: { stream: 'stderr', pattern: /listening on [^ ]*:(\d+)/ } });
  try {
    const cpu0 = cpuSeconds(proxy.pid);
    const py = spawn('python3', ['-c', PY_BOMB_CLIENT, '127.0.0.1', String(proxy.port), String(MIB)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pyOut = '';
    py.stdout.on('data', (d: Buffer) => { pyOut += d.toString(); });
    const pyDone = new Promise<void>((resolve) => py.once('close', () => resolve()));
    const received = server.nextCompressedEnd();
    const t0 = performance.now();
    let done = false;
    void received.then(() => { done = true; });
    const greetings: number[] = [];
    while (!done) {
      greetings.push(await greetingMs(proxy.port));
      await new Promise((r) => setTimeout(r, 20));
    }
    await pyDone;
    const r = await received;
    const wall = (performance.now() - t0) / 1000;
    // Let the proxy finish whatever it queued, then measure and stop it (which flushes the capture).
    for (let i = 0; i < 3; i++) greetings.push(await greetingMs(proxy.port));
    const { hwm } = memory(proxy.pid);
    const cpu = cpuSeconds(proxy.pid) - cpu0;
    await proxy.stop();
    const size = fs.statSync(capture).size;
    const sorted = [...greetings].sort((a, b) => a - b);
    console.log(`bomb ${MIB} MiB inflated, ${pyOut.trim()}; server got ${r.bytes} bytes ${r.sha256 === /SENT \d+ (\S+)/.exec(pyOut)?.[1] ? '(identical)' : '(DIFFERENT)'}`);
    console.log(`${path.relative(process.cwd(), BIN) || BIN}: capture ${(size / 1e6).toFixed(1)} MB, proxy peak RSS ${(hwm / 1048576).toFixed(0)} MB, proxy CPU ${cpu.toFixed(1)} s, ${wall.toFixed(1)} s until the server had it all`);
    if (process.env.SHOW_PROBES) console.log(greetings.map((g) => g.toFixed(0)).join(" "));
    console.log(`other sessions' greeting: ${greetings.length} probes, p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
  } finally {
    await proxy.stop();
    await server.close();
  }
}

void main();
