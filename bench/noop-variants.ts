/**
 * The NOOP tail of several imapdbg builds side by side (stop 15): a Python fake server and one
 * Python client (python-peers.ts) with a connection through the Node pipe, the pipe busy N µs per
 * chunk, and each build given, in blocks taken in turn across all of them, every relay up for the
 * whole run. A build is a directory holding `bin/imapdbg` and its compiled `dist/` (a copy of this
 * tree before and after a change); `:rec` after it records to a temporary pcapng file.
 *
 *   node dist/bench/noop-variants.js [--noops 30000] [--runs 4] [--busy-us 15] NAME=DIR[:rec] ...
 *
 * Prints per run the p50 to p99.9 of each path in µs, its CPU µs per round trip (/proc) and its
 * p99 over the pipe's. The tail moves a lot between runs on a small VM: compare builds within a
 * run, over several runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Child } from './proc';
import { spawnImapdbgProxy, spawnPipe, TREE_ROOT } from './relays';
import { pythonNoopBlocks, startPythonServer } from './python-peers';

const argv = process.argv.slice(2);
const numberOption = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`noop-variants: ${name} needs a whole number\n`);
    process.exit(2);
  }
  argv.splice(i, 2);
  return n;
};
const NOOPS = numberOption('--noops', 30_000);
const RUNS = numberOption('--runs', 4);
const BUSY_US = numberOption('--busy-us', 15);
const WARM = 5_000;
const BLOCKS = 10;

interface Build { name: string; dir: string; record: boolean }
const builds: Build[] = argv.map((a) => {
  const m = /^([\w-]+)=(.+?)(:rec)?$/.exec(a);
  if (!m) {
    process.stderr.write(`noop-variants: expected NAME=DIR[:rec], got ${a}\n`);
    process.exit(2);
  }
  return { name: m[1], dir: path.resolve(m[2]), record: m[3] !== undefined };
});
if (builds.length === 0) builds.push({ name: 'off', dir: TREE_ROOT, record: false }, { name: 'rec', dir: TREE_ROOT, record: true });

const tmp = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-noop-variants-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function imapdbg(b: Build, serverPort: number, run: number): Promise<Child> {
  return spawnImapdbgProxy(b.name, serverPort, { root: b.dir, args: ['--headless', ...(b.record ? ['--record', path.join(tmp, `${b.name}-${run}.pcapng`)] : [])] });
}

async function main(): Promise<void> {
  const server = await startPythonServer(1024);
  try {
    for (let run = 1; run <= RUNS; run++) {
      const names = ['pipe', ...(BUSY_US > 0 ? [`busy${BUSY_US}`] : []), ...builds.map((b) => b.name)];
      const relays: Child[] = [];
      try {
        relays.push(await spawnPipe(server.port));
        if (BUSY_US > 0) relays.push(await spawnPipe(server.port, BUSY_US));
        for (const b of builds) relays.push(await imapdbg(b, server.port, run));
        const r = await pythonNoopBlocks(relays.map((c) => ({ port: c.port, pid: c.pid })), NOOPS, WARM, BLOCKS);
        const cell = (x: number): string => x.toFixed(0).padStart(7);
        process.stdout.write(`run ${run} of ${RUNS} (${NOOPS} NOOPs per path after ${WARM}, load ${os.loadavg()[0].toFixed(1)})\n`);
        process.stdout.write(`${'path'.padEnd(10)}${['p50', 'p90', 'p95', 'p98', 'p99', 'p99.5', 'p99.9', 'CPU µs'].map((h) => h.padStart(7)).join('')}  p99 x pipe\n`);
        r.forEach((x, i) => {
          const [p90, p95, p98, p995, p999] = x.tail;
          process.stdout.write(`${names[i].padEnd(10)}${[x.median, p90, p95, p98, x.p99, p995, p999, x.cpuPerTrip ?? NaN].map(cell).join('')}  ${(x.p99 / r[0].p99).toFixed(2)}x\n`);
        });
        process.stdout.write('\n');
      } finally {
        for (const c of relays) await c.stop();
      }
    }
  } finally {
    server.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`noop-variants: ${err.message}\n`);
  process.exit(1);
});
