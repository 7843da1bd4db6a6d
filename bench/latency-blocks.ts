/**
 * How a freshly started relay's NOOP latency settles (issue 10): for each path a fresh process,
 * one connection, and `--blocks` blocks of `--per-block` sequential NOOP round trips from its first
 * one on; per block the median, the p99, the round trips over 1 ms and the relay's CPU µs per round
 * trip (user + system, all threads, from /proc). The paths take turns, `--rounds` times.
 *
 *   node dist/bench/latency-blocks.js [--blocks 5] [--per-block 10000] [--rounds 2] [--record]
 *
 * Shows why `npm run bench` judges the p99 after a warm-up: the first block of every Node relay,
 * the pipe's too, carries V8 compiling its hot path on helper threads beside the peers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeConnection, noopRoundTrips, openConnection } from './imap-client';
import { cpuSeconds, spawnReady, type Child } from './proc';
import { spawnImapdbgProxy, spawnPipe } from './relays';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isSafeInteger(n) || n <= 0) {
    process.stderr.write(`latency-blocks: ${name} needs a positive integer\n`);
    process.exit(2);
  }
  return n;
};
const BLOCKS = option('--blocks', 5);
const PER_BLOCK = option('--per-block', 10_000);
const ROUNDS = option('--rounds', 2);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-latency-blocks-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Relay { label: string; start(serverPort: number): Promise<Child> }
const imapdbg = (record: boolean): Relay => ({
  label: record ? 'imapdbg, recording on' : 'imapdbg, recording off',
  start: (serverPort) => spawnImapdbgProxy('imapdbg', serverPort, { args: ['--headless', ...(record ? ['--record', path.join(tmp, 'c.pcapng'), '--force'] : [])] }),
});
const RELAYS: Relay[] = [
  { label: 'Node TCP pipe', start: (serverPort) => spawnPipe(serverPort) },
  imapdbg(false),
  imapdbg(true),
];

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function blocks(relay: Relay, serverPort: number): Promise<string[]> {
  const child = await relay.start(serverPort);
  try {
    const socket = await openConnection(child.port);
    const cells: string[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const cpu0 = cpuSeconds(child.pid);
      const times = (await noopRoundTrips(socket, PER_BLOCK, `b${b}n`)).sort();
      const cpu = ((cpuSeconds(child.pid) - cpu0) * 1e6) / PER_BLOCK;
      const over = times.length - times.findIndex((t) => t > 1000);
      cells.push(`${percentile(times, 50).toFixed(0)} / ${percentile(times, 99).toFixed(0)} / ${times[times.length - 1] > 1000 ? over : 0} / ${cpu.toFixed(0)}`);
    }
    await closeConnection(socket);
    return cells;
  } finally {
    await child.stop();
  }
}

async function main(): Promise<void> {
  const server = await spawnReady('fake IMAP server', process.execPath, [path.join(__dirname, 'fake-imap-server.js'), '--literal-bytes', '1000'],
    { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
  try {
    const head = Array.from({ length: BLOCKS }, (_, b) => `round trips ${(b * PER_BLOCK + 1).toLocaleString('en')}-${((b + 1) * PER_BLOCK).toLocaleString('en')}`);
    process.stdout.write(`Per block: median µs / p99 µs / round trips over 1 ms / relay CPU µs per round trip (load ${os.loadavg()[0].toFixed(1)})\n\n`);
    process.stdout.write(`| path | ${head.join(' | ')} |\n| --- |${' ---: |'.repeat(BLOCKS)}\n`);
    for (let r = 0; r < ROUNDS; r++) {
      for (const relay of RELAYS) process.stdout.write(`| ${relay.label} | ${(await blocks(relay, server.port)).join(' | ')} |\n`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`latency-blocks: ${err.message}\n`);
  process.exit(1);
});
