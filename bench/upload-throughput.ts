/**
 * The other direction of the throughput phase: a client uploads one big APPEND literal
 * (`A APPEND INBOX {N+}`, client to server) through the Node pipe and through imapdbg with
 * recording off and on, runs interleaved. The server is a sink in this process that greets, reads
 * everything and answers `A OK` at the end. Prints, per run, MB/s and the proxy's CPU seconds per
 * GiB (user + system, all threads, from /proc), then the medians.
 *
 *   node dist/bench/upload-throughput.js [--mb 512] [--runs 3] [--json]
 *
 * `--json` prints the runs as one JSON line on stdout and the progress on stderr (how `npm run
 * bench` runs it, as its upload phase).
 * Right before each upload, whatever the path, the page cache is recycled as in `npm run bench`
 * (page-cache.ts), so a capture's cost does not depend on what the runs before it freed.
 */
import { rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { recyclePageCache } from './page-cache';
import { cpuSeconds, type Child } from './proc';
import { spawnImapdbgProxy, spawnPipe } from './relays';
import { streamBytes } from './stream-bytes';

const argv = process.argv.slice(2);
const JSON_OUT = argv.includes('--json');
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  const n = i === -1 ? fallback : Number(argv[i + 1]);
  if (!Number.isSafeInteger(n) || n <= 0) {
    process.stderr.write('usage: upload-throughput [--mb N] [--runs N] [--json]\n');
    process.exit(2);
  }
  return n;
};
const MIB = option('--mb', 512);
const RUNS = option('--runs', 3);
const TOTAL = MIB * 1024 * 1024;
const HEAD = Buffer.from(`A APPEND INBOX {${TOTAL}+}\r\n`);
const CHUNK = Buffer.alloc(256 * 1024, 'Lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\r\n');
const capture = path.join(os.tmpdir(), `imapdbg-upload-${process.pid}.pcapng`);

type PathKind = 'pipe' | 'off' | 'on';

function startPath(kind: PathKind, upstream: number): Promise<Child> {
  if (kind === 'pipe') return spawnPipe(upstream);
  rmSync(capture, { force: true });
  return spawnImapdbgProxy(`imapdbg ${kind}`, upstream, { args: ['--headless', ...(kind === 'on' ? ['--record', capture] : [])] });
}

/** One upload through `port`: resolves once the sink answered `A OK`. */
function upload(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    c.on('error', reject);
    c.once('data', () => {
      c.write(HEAD);
      streamBytes(c, CHUNK, TOTAL, () => c.write('\r\n'));
      c.on('data', (d: Buffer) => { if (d.includes('A OK')) { c.end(); resolve(); } });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const expected = HEAD.length + TOTAL + 2;
  const sink = createServer((s) => {
    s.write('* OK sink\r\n');
    let got = 0;
    s.on('data', (d: Buffer) => { got += d.length; if (got >= expected) s.end('A OK done\r\n'); });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const upstream = (sink.address() as AddressInfo).port;
  const results = new Map<PathKind, Array<{ mbs: number; cpu: number }>>();
  for (let run = 0; run < RUNS; run++) {
    for (const kind of ['pipe', 'off', 'on'] as const) {
      const child = await startPath(kind, upstream);
      recyclePageCache(`${capture}.scratch`, TOTAL);
      const cpu0 = cpuSeconds(child.pid);
      const t0 = process.hrtime.bigint();
      await upload(child.port);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const r = { mbs: MIB / seconds, cpu: (cpuSeconds(child.pid) - cpu0) / (MIB / 1024) };
      await child.stop();
      rmSync(capture, { force: true });
      results.set(kind, [...(results.get(kind) ?? []), r]);
      (JSON_OUT ? process.stderr : process.stdout).write(`${kind}: ${r.mbs.toFixed(0)} MB/s, ${r.cpu.toFixed(2)} CPU s per GiB\n`);
    }
  }
  sink.close();
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify({ mib: MIB, runs: Object.fromEntries(results) })}\n`);
    return;
  }
  const pipe = median((results.get('pipe') ?? []).map((r) => r.mbs));
  for (const [kind, rs] of results) {
    const mbs = median(rs.map((r) => r.mbs));
    process.stdout.write(`median ${kind}: ${mbs.toFixed(0)} MB/s (${(mbs / pipe).toFixed(2)}x the pipe), ${median(rs.map((r) => r.cpu)).toFixed(2)} CPU s per GiB\n`);
  }
}

main().catch((err: Error) => { process.stderr.write(`upload-throughput: ${err.message}\n`); process.exit(1); });
