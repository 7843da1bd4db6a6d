/**
 * imapdbg's benchmark (issue 2): imapdbg against a plain Node TCP pipe measured in the same run,
 * and mitmproxy in TCP mode where `mitmdump` is installed. Everything on 127.0.0.1; the fake IMAP
 * server and every proxy are child processes, the client is this process.
 *
 *   npm run bench [-- --quick] [-- --profile] [-- --out FILE] [-- --paths pipe,imapdbg,...] [-- --no-mitmproxy]
 *
 * --quick    smaller sizes for fast iterations (64 MB literal, 2,000 NOOPs, 200 idle sessions)
 * --profile  run the imapdbg children under `node --cpu-prof` and print their hot spots
 * --out FILE where to write the report (default BENCHMARKS.md for a full run of every path;
 *            --quick, --profile, --paths and --phases runs write nothing unless --out is given)
 * --paths    measure only these paths (direct, pipe, pipe-busy, imapdbg, imapdbg-rec, imapdbg-digest, mitmproxy)
 * --runs N   transfers per path for the throughput median (default 5)
 * --phases   run only these phases (throughput, latency, idle, line, python, upload, readers)
 *
 * "imapdbg, recording on" is `imapdbg proxy --record FILE` (pcapng), as users run it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { formatProfileSummary, summarizeProfile } from './cpuprofile-summary';
import { closeConnection, enterIdle, fetchLiteral, fetchLongLine, noopRoundTrips, openConnection } from './imap-client';
import { cpuSeconds, freePort, memory, resetPeak, spawnReady, type Child } from './proc';
import { recyclePageCache } from './page-cache';
import { spawnImapdbgProxy, spawnPipe } from './relays';
import { pythonFetch, pythonNoopBlocks, readCounters, startPythonServer } from './python-peers';
import { measureReaders, readersTable, type ReaderResults } from './capture-readers';

const ROOT = path.resolve(__dirname, '..', '..');
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}
const QUICK = argv.includes('--quick');
const PROFILE = argv.includes('--profile');
const NO_MITM = argv.includes('--no-mitmproxy');
const OUT = option('--out') ?? (QUICK || PROFILE || option('--paths') !== undefined || option('--phases') !== undefined ? undefined : path.join(ROOT, 'BENCHMARKS.md'));
const ONLY = option('--paths')?.split(',').map((s) => s.trim());
const PHASES = option('--phases')?.split(',').map((s) => s.trim()) ?? ['throughput', 'latency', 'idle', 'line', 'python', 'upload', 'readers'];
for (const a of argv) {
  if (a.startsWith('--') && !['--quick', '--profile', '--no-mitmproxy', '--out', '--paths', '--runs', '--phases'].includes(a)) {
    process.stderr.write(`bench: unknown option ${a}\n`);
    process.exit(2);
  }
}

const RUNS = Number(option('--runs') ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write('bench: --runs needs a positive integer\n');
  process.exit(2);
}
const SIZES = QUICK
  ? { literal: 64 * MB, runs: RUNS, noops: 2_000, warmNoops: 2_000, sessions: 200, line: 10 * MB, capture: 128 * MB }
  // 30,000 NOOPs: a p99 then rests on the 300 slowest round trips, not 100 (stop 16: with 10,000 it
  // moved up to 2x between identical builds in one run).
  : { literal: 512 * MB, runs: RUNS, noops: 30_000, warmNoops: 10_000, sessions: 1_000, line: 10 * MB, capture: 1024 * MB };

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// The paths under test

type PathKey = 'direct' | 'pipe' | 'pipe-busy' | 'imapdbg' | 'imapdbg-rec' | 'imapdbg-digest' | 'mitmproxy';

interface Running {
  port: number;
  child?: Child;
  /** Stop the child; returns extra facts (e.g. the capture file's size). */
  stop(): Promise<{ captureBytes?: number }>;
}

interface PathDef {
  key: PathKey;
  label: string;
  start(serverPort: number, phase: string): Promise<Running>;
  /** Measured in the NOOP latency phases only (a reference for the tail, not a relay to judge). */
  latencyOnly?: boolean;
}

function running(child: Child, after?: () => { captureBytes?: number }): Running {
  return {
    port: child.port,
    child,
    async stop() {
      await child.stop();
      return after?.() ?? {};
    },
  };
}

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-bench-'));
const profileDir = path.join(tmpRoot, 'profiles');
process.on('exit', () => { try { rmSync(tmpRoot, { recursive: true, force: true }); } catch { /* best effort */ } });

/**
 * imapdbg as users run it, default settings; `digest` adds `--literal-digest sha256` (the old
 * default, for reference); `record` adds `--record FILE` (pcapng, a temporary file).
 */
function imapdbgPath(record: boolean, digest = false): PathDef {
  return {
    key: digest ? 'imapdbg-digest' : record ? 'imapdbg-rec' : 'imapdbg',
    label: digest ? 'imapdbg, recording off, --literal-digest sha256' : record ? 'imapdbg, recording on (pcapng)' : 'imapdbg, recording off',
    async start(serverPort, phase) {
      const nodeArgs = PROFILE
        ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${phase}-${record ? 'rec' : 'norec'}${digest ? '-digest' : ''}.cpuprofile`]
        : [];
      const capture = path.join(tmpRoot, `${phase}-capture.pcapng`);
      rmSync(capture, { force: true });
      const child = await spawnImapdbgProxy(this.label, serverPort, { nodeArgs,
        args: ['--headless', ...(digest ? ['--literal-digest', 'sha256'] : []), ...(record ? ['--record', capture] : [])] });
      return running(child, () => {
        if (!record) return {};
        let captureBytes: number | undefined;
        try { captureBytes = statSync(capture).size; } catch { captureBytes = undefined; }
        rmSync(capture, { force: true });
        return { captureBytes };
      });
    },
  };
}

const PIPE: PathDef = {
  key: 'pipe',
  label: 'Node TCP pipe',
  async start(serverPort) {
    return running(await spawnPipe(serverPort, 0, this.label));
  },
};

/** The busy pipe's work per chunk, µs: about what imapdbg spends annotating a NOOP's line after forwarding it. */
const BUSY_US = 15;

/**
 * For scale in the latency phases: the same pipe, busy for BUSY_US µs after it forwards each chunk.
 * Its p99 against the plain pipe's shows how far a little work per chunk moves the NOOP tail on
 * this machine (with 2 vCPUs shared by client, relay and server, a lot).
 */
const PIPE_BUSY: PathDef = {
  key: 'pipe-busy',
  label: `Node TCP pipe, busy ${BUSY_US} µs per chunk`,
  latencyOnly: true,
  async start(serverPort) {
    return running(await spawnPipe(serverPort, BUSY_US, this.label));
  },
};

const DIRECT: PathDef = {
  key: 'direct',
  label: 'direct (no proxy)',
  async start(serverPort) {
    return { port: serverPort, stop: async () => ({}) };
  },
};

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function mitmVersion(bin: string): string | undefined {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return /Mitmproxy:\s*(\S+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

function mitmPath(bin: string, version: string): PathDef {
  const major = Number(version.split('.')[0]);
  const confdir = path.join(tmpRoot, 'mitmproxy-conf');
  return {
    key: 'mitmproxy',
    label: `mitmproxy ${version} (TCP)`,
    async start(serverPort) {
      const port = await freePort();
      // 8.x: reverse mode with --tcp-hosts makes every connection a raw TCP flow (the server
      // greets first, so it never guesses HTTP). 9+ has a reverse:tcp:// mode of its own.
      const mode = major >= 9
        ? ['--mode', `reverse:tcp://127.0.0.1:${serverPort}@${port}`]
        : ['--mode', `reverse:http://127.0.0.1:${serverPort}`, '--listen-port', String(port), '--tcp-hosts', '.*'];
      const args = ['--listen-host', '127.0.0.1', ...mode, '--set', `confdir=${confdir}`,
        '--set', 'flow_detail=0', '--set', 'termlog_verbosity=error', '-q'];
      const child = await spawnReady(this.label, bin, args, { port, timeoutMs: 60_000 });
      return running(child);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface FileWriteCost { mode: 'sync' | 'pool'; cpuPerGiB: number; systemPerGiB: number; seconds: number }
let fileWrites: FileWriteCost[] = [];

/** What writing the capture's bytes costs the kernel alone (file-write-cost.ts), per mode, each run a fresh file. */
function measureFileWrites(): FileWriteCost[] {
  const out: FileWriteCost[] = [];
  for (let run = 1; run <= SIZES.runs; run++) {
    for (const mode of ['sync', 'pool'] as const) {
      const file = path.join(tmpRoot, `file-write-${run}-${mode}.bin`);
      rmSync(file, { force: true });
      const text = execFileSync(process.execPath, [path.join(__dirname, 'file-write-cost.js'), '--file', file, '--mb', String(SIZES.literal / MB), '--mode', mode], { encoding: 'utf8' });
      out.push(JSON.parse(text) as FileWriteCost);
      log(`  file write of ${SIZES.literal / MB} MB (${mode}): ${out[out.length - 1].cpuPerGiB.toFixed(2)} CPU s per GiB`);
    }
  }
  return out;
}

/** Uploads (bench/upload-throughput.ts): per path, each run's MB/s and the proxy's CPU s per GiB. */
interface Uploads { mib: number; runs: Record<'pipe' | 'off' | 'on', Array<{ mbs: number; cpu: number }>> }
let uploads: Uploads | undefined;

/** A client's APPEND literal through the pipe and imapdbg (recording off and on), runs interleaved. */
function measureUploads(): Uploads {
  log(`upload: ${SIZES.literal / MB} MB APPEND literal, ${SIZES.runs} runs per path (bench/upload-throughput.ts)`);
  const text = execFileSync(process.execPath, [path.join(__dirname, 'upload-throughput.js'), '--mb', String(SIZES.literal / MB),
    '--runs', String(SIZES.runs), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(text) as Uploads;
}

interface Throughput {
  runsMBs: number[];
  medianMBs: number;
  /** Median over the runs. */
  rssBefore: number;
  /** Highest over the runs, and each run's. */
  peak: number;
  peaks: number[];
  /** Capture file size after one transfer (recording on). */
  captureBytes?: number;
  /** The proxy's CPU time (user + system) per GiB carried, median over the runs. */
  cpuPerGiB: number;
  /** Bytes per read syscall of the proxy during the transfer (/proc/PID/io), median over the runs. */
  readChunk: number;
  /** 1-minute load average at the start of the first run. */
  load: number;
}
/**
 * `p99` is that of the round trips after the warm-up; `coldP99` that of the warm-up ones, the first
 * after the process started (V8 still compiling the hot path on its helper threads).
 */
interface Latency { median: number; p99: number; mean: number; count: number; cpuPerTrip: number; load?: number; coldP99?: number; coldCpuPerTrip?: number }
interface Idle { sessions: number; rssBefore: number; rss: number; peak: number; seconds: number }
interface LongLine { rssBefore: number; peak: number }

/** The same transfer and NOOPs with Python peers (a server writing 1 MiB at a time, a Python client). */
interface PythonRun {
  throughput?: Throughput;
  latency?: Latency;
}

interface PathResult {
  def: PathDef;
  python?: PythonRun;
  throughput?: Throughput;
  latency?: Latency;
  idle?: Idle;
  line?: LongLine;
  errors: string[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank percentile. */
const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** A little traffic so the proxy's code is warm and its steady-state RSS is what "before" shows. */
async function warmUp(port: number): Promise<void> {
  const s = await openConnection(port);
  await noopRoundTrips(s, 100, 'w');
  await closeConnection(s);
  await sleep(200);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface TransferRun { mbs: number; rssBefore: number; peak: number; cpuPerGiB: number; readChunk: number; load: number; literalBytes: number; captureBytes?: number }

/** Bytes per read syscall between two /proc/PID/io readings. */
const perRead = (a: ReturnType<typeof readCounters> | undefined, b: ReturnType<typeof readCounters> | undefined): number =>
  (a && b && b.reads > a.reads ? (b.bytes - a.bytes) / (b.reads - a.reads) : NaN);

/** Before each transfer, whatever the path: the capture goes into memory the guest has used (page-cache.ts). */
function samePageCache(): void {
  const cost = recyclePageCache(path.join(tmpRoot, 'page-cache-scratch.bin'), SIZES.literal);
  log(`  page cache recycled (${cost.toFixed(2)} CPU s per GiB written)`);
}

/** One transfer through a fresh proxy process: its RSS before, and its peak RSS during the transfer. */
async function throughputRun(def: PathDef, serverPort: number, run: number): Promise<TransferRun> {
  const r = await def.start(serverPort, `throughput${run}`);
  try {
    await warmUp(r.port);
    samePageCache(); // last before the transfer: memory freed for a second or two is handed back to the host
    const pid = r.child?.pid;
    const before = pid ? memory(pid) : undefined;
    if (pid) resetPeak(pid);
    const s = await openConnection(r.port);
    const load = os.loadavg()[0];
    const io0 = pid ? readCounters(pid) : undefined;
    const cpu0 = pid ? cpuSeconds(pid) : NaN;
    const res = await fetchLiteral(s, `f${run}`);
    const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN;
    const io1 = pid ? readCounters(pid) : undefined;
    await closeConnection(s);
    const after = pid ? memory(pid) : undefined;
    const extra = await r.stop();
    const mbs = res.literalBytes / MB / res.seconds;
    log(`  ${def.label}: run ${run}: ${(res.literalBytes / MB).toFixed(0)} MB in ${res.seconds.toFixed(3)} s = ${mbs.toFixed(0)} MB/s` +
      (after ? `, RSS ${fmtMB(before?.rss)} MB before, peak ${fmtMB(after.hwm)} MB` : ''));
    return { mbs, rssBefore: before?.rss ?? NaN, peak: after?.hwm ?? NaN, cpuPerGiB: cpu / (res.literalBytes / (1024 * MB)),
      readChunk: perRead(io0, io1), load, literalBytes: res.literalBytes, captureBytes: extra.captureBytes };
  } finally {
    await r.stop();
  }
}

function throughputOf(runs: TransferRun[]): Throughput {
  return {
    runsMBs: runs.map((x) => x.mbs),
    medianMBs: median(runs.map((x) => x.mbs)),
    rssBefore: median(runs.map((x) => x.rssBefore)),
    peak: Math.max(...runs.map((x) => x.peak)),
    peaks: runs.map((x) => x.peak),
    captureBytes: runs.find((x) => x.captureBytes !== undefined)?.captureBytes,
    cpuPerGiB: median(runs.map((x) => x.cpuPerGiB)),
    readChunk: median(runs.map((x) => x.readChunk)),
    load: runs[0].load,
  };
}

/** Blocks per path in the latency phases, taken in turn across the paths (a slow spell of the machine falls on all of them). */
const LATENCY_BLOCKS = 10;

function throughputRow(label: string, t: Throughput, pipe: Throughput | undefined): string[] {
  const p = pipe?.medianMBs;
  return [label, t.medianMBs.toFixed(0), t.runsMBs.map((x) => x.toFixed(0)).join(', '),
    p ? `${(t.medianMBs / p).toFixed(2)}x` : '-', Number.isNaN(t.cpuPerGiB) ? '-' : t.cpuPerGiB.toFixed(2),
    pipe && !Number.isNaN(t.cpuPerGiB) && label !== 'Node TCP pipe' ? `${(t.cpuPerGiB / pipe.cpuPerGiB).toFixed(2)}x` : '-',
    Number.isNaN(t.readChunk) ? '-' : t.readChunk.toFixed(0),
    fmtMB(t.rssBefore), fmtMB(t.peak), t.peaks.map((x) => fmtMB(x)).join(', '), t.load.toFixed(1)];
}

/**
 * NOOP round trips on every path, in blocks taken in turn (block 1 of each path, then block 2...),
 * so that a noisy moment on the machine is spread over all paths instead of landing on one. Each
 * path has its own proxy process and one connection, opened and warmed up before the first block.
 */
async function measureLatencies(defs: PathDef[], serverPort: number, results: Map<PathKey, PathResult>): Promise<void> {
  interface Live { def: PathDef; r: Running; socket: Socket; times: number[]; cpu: number; coldP99: number; coldCpuPerTrip: number }
  const live: Live[] = [];
  try {
    for (const def of defs) {
      log(`latency: starting ${def.label}`);
      try {
        const r = await def.start(serverPort, 'latency');
        try {
          const socket = await openConnection(r.port);
          const pid = r.child?.pid;
          const cpu0 = pid ? cpuSeconds(pid) : NaN;
          const cold = (await noopRoundTrips(socket, SIZES.warmNoops, 'w')).sort();
          const coldCpuPerTrip = pid ? ((cpuSeconds(pid) - cpu0) * 1e6) / SIZES.warmNoops : NaN;
          live.push({ def, r, socket, times: [], cpu: 0, coldP99: percentile(cold, 99), coldCpuPerTrip });
        } catch (err) {
          await r.stop();
          throw err;
        }
      } catch (err) {
        results.get(def.key)?.errors.push(`latency: ${(err as Error).message}`);
        log(`  latency failed for ${def.label}: ${(err as Error).message}`);
      }
    }
    const perBlock = Math.ceil(SIZES.noops / LATENCY_BLOCKS);
    const load = os.loadavg()[0];
    for (let b = 0; b < LATENCY_BLOCKS; b++) {
      for (const l of [...live]) {
        const n = Math.min(perBlock, SIZES.noops - b * perBlock);
        if (n <= 0) continue;
        try {
          const pid = l.r.child?.pid;
          const cpu0 = pid ? cpuSeconds(pid) : NaN;
          const times = await noopRoundTrips(l.socket, n, `n${b}x`);
          l.cpu += pid ? cpuSeconds(pid) - cpu0 : NaN;
          for (const t of times) l.times.push(t);
        } catch (err) {
          results.get(l.def.key)?.errors.push(`latency: ${(err as Error).message}`);
          log(`  latency failed for ${l.def.label}: ${(err as Error).message}`);
          live.splice(live.indexOf(l), 1);
          await l.r.stop();
        }
      }
      log(`latency: block ${b + 1} of ${LATENCY_BLOCKS} done`);
    }
    for (const l of live) {
      const sorted = Float64Array.from(l.times).sort();
      let sum = 0;
      for (const t of l.times) sum += t;
      const res = results.get(l.def.key);
      if (res) {
        res.latency = { median: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sum / l.times.length,
          count: l.times.length, cpuPerTrip: (l.cpu * 1e6) / l.times.length, load, coldP99: l.coldP99, coldCpuPerTrip: l.coldCpuPerTrip };
      }
    }
  } finally {
    for (const l of live) {
      await closeConnection(l.socket);
      await l.r.stop();
    }
  }
}

/**
 * Python peers: per path, SIZES.runs transfers of the literal (a fresh proxy each, runs interleaved
 * across paths), then SIZES.noops NOOP round trips from one Python client through every path, in
 * LATENCY_BLOCKS blocks taken in turn across the paths (every proxy up for the whole phase).
 */
async function measurePython(defs: PathDef[], results: Map<PathKey, PathResult>): Promise<void> {
  const server = await startPythonServer(SIZES.literal);
  try {
    const runs = new Map<PathKey, TransferRun[]>();
    for (let run = 1; run <= SIZES.runs; run++) {
      for (const def of defs) {
        if (def.key === 'mitmproxy' || def.latencyOnly) continue;
        log(`python peers, transfer ${run}: ${def.label}`);
        const r = await def.start(server.port, `python${run}`);
        try {
          await warmUp(r.port); // as in the Node-peer transfers: the proxy's code is warm, start-up work done
          samePageCache();
          const pid = r.child?.pid;
          const before = pid ? memory(pid) : undefined;
          if (pid) resetPeak(pid);
          const load = os.loadavg()[0];
          const io0 = pid ? readCounters(pid) : undefined;
          const cpu0 = pid ? cpuSeconds(pid) : NaN;
          const res = await pythonFetch(r.port);
          const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN;
          const io1 = pid ? readCounters(pid) : undefined;
          const after = pid ? memory(pid) : undefined;
          const extra = await r.stop();
          const t: TransferRun = { mbs: res.bytes / MB / res.seconds, rssBefore: before?.rss ?? NaN, peak: after?.hwm ?? NaN,
            cpuPerGiB: cpu / (res.bytes / (1024 * MB)), readChunk: perRead(io0, io1), load, literalBytes: res.bytes, captureBytes: extra.captureBytes };
          log(`  ${t.mbs.toFixed(0)} MB/s, ${Number.isNaN(t.cpuPerGiB) ? '-' : t.cpuPerGiB.toFixed(2)} CPU s/GiB, ${t.readChunk.toFixed(0)} B per read (load ${load.toFixed(1)})`);
          runs.set(def.key, [...(runs.get(def.key) ?? []), t]);
        } catch (err) {
          results.get(def.key)?.errors.push(`python transfer: ${(err as Error).message}`);
        } finally {
          await r.stop();
        }
      }
    }
    for (const [key, list] of runs) {
      const res = results.get(key);
      if (res) res.python = { ...res.python, throughput: throughputOf(list) };
    }
    // Every relay up at once, the Python client's NOOPs in blocks taken in turn across them.
    const up: Array<{ def: PathDef; r: Running }> = [];
    try {
      for (const def of defs) {
        if (def.key === 'mitmproxy') continue;
        try {
          up.push({ def, r: await def.start(server.port, 'python-latency') });
        } catch (err) {
          results.get(def.key)?.errors.push(`python latency: ${(err as Error).message}`);
        }
      }
      if (up.length === 0) return;
      log(`python peers, ${SIZES.noops} NOOPs per path in ${LATENCY_BLOCKS} blocks across ${up.map((u) => u.def.label).join(', ')}`);
      const load = os.loadavg()[0];
      const all = await pythonNoopBlocks(up.map((u) => ({ port: u.r.port, pid: u.r.child?.pid ?? 0 })), SIZES.noops, SIZES.warmNoops, LATENCY_BLOCKS);
      all.forEach((l, i) => {
        const res = results.get(up[i].def.key);
        if (res) res.python = { ...res.python, latency: { ...l, cpuPerTrip: l.cpuPerTrip ?? NaN, load } };
        log(`  ${up[i].def.label}: median ${l.median.toFixed(1)} µs, p99 ${l.p99.toFixed(1)} µs`);
      });
    } catch (err) {
      for (const u of up) results.get(u.def.key)?.errors.push(`python latency: ${(err as Error).message}`);
    } finally {
      for (const u of up) await u.r.stop();
    }
  } finally {
    server.stop();
  }
}

/** Warm a proxy up, then read its memory and reset its peak, so a phase's peak is its own. */
async function baseline(r: Running): Promise<{ pid: number; before: ReturnType<typeof memory> }> {
  await warmUp(r.port);
  const pid = r.child?.pid;
  if (!pid) throw new Error('no process to measure');
  const before = memory(pid);
  resetPeak(pid);
  return { pid, before };
}

async function measureIdle(def: PathDef, serverPort: number): Promise<Idle> {
  const r = await def.start(serverPort, 'idle');
  const sockets: Socket[] = [];
  try {
    const { pid, before } = await baseline(r);
    const t0 = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < SIZES.sessions) {
        const k = next++;
        const s = await openConnection(r.port, 60_000);
        sockets.push(s);
        await enterIdle(s, `i${k}`, 60_000);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    const seconds = (Date.now() - t0) / 1000;
    await sleep(1000); // let the sessions settle (buffers released, timers armed)
    const m = memory(pid);
    return { sessions: sockets.length, rssBefore: before.rss, rss: m.rss, peak: m.hwm, seconds };
  } finally {
    for (const s of sockets) s.destroy();
    await sleep(200);
    await r.stop();
  }
}

async function measureLongLine(def: PathDef, serverPort: number): Promise<LongLine> {
  const r = await def.start(serverPort, 'line');
  try {
    const { pid, before } = await baseline(r);
    const s = await openConnection(r.port);
    await fetchLongLine(s, 'x1');
    await closeConnection(s);
    return { rssBefore: before.rss, peak: memory(pid).hwm };
  } finally {
    await r.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmtMB = (bytes: number | undefined): string => (bytes === undefined || Number.isNaN(bytes) ? '-' : (bytes / MB).toFixed(1));
const fmtUs = (us: number | undefined): string => (us === undefined || Number.isNaN(us) ? '-' : us.toFixed(1));
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

function table(headers: string[], rows: string[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

interface Target { what: string; value: string; met: boolean | undefined }

function targets(res: Map<PathKey, PathResult>): Target[] {
  const pipe = res.get('pipe');
  const direct = res.get('direct');
  const out: Target[] = [];
  const tput = (key: PathKey, factor: number, label: string): void => {
    const p = pipe?.throughput?.medianMBs;
    const x = res.get(key)?.throughput?.medianMBs;
    const ok = p !== undefined && x !== undefined;
    out.push({ what: `throughput ${label} >= ${factor}x the pipe's`, value: ok ? `${x.toFixed(0)} / ${p.toFixed(0)} MB/s = ${(x / p).toFixed(2)}x` : 'not measured', met: ok ? x >= factor * p : undefined });
  };
  tput('imapdbg', 0.9, 'without recording (default settings)');
  tput('imapdbg-rec', 0.8, 'with recording (pcapng)');
  const py = (key: PathKey, factor: number, label: string): void => {
    const p = pipe?.python?.throughput;
    const x = res.get(key)?.python?.throughput;
    const ok = p !== undefined && x !== undefined;
    out.push({ what: `Python peers: throughput ${label} >= ${factor}x the pipe's (proxy CPU s per GiB beside)`,
      value: ok ? `${x.medianMBs.toFixed(0)} / ${p.medianMBs.toFixed(0)} MB/s = ${(x.medianMBs / p.medianMBs).toFixed(2)}x; CPU ${x.cpuPerGiB.toFixed(2)} vs ${p.cpuPerGiB.toFixed(2)} s/GiB = ${(x.cpuPerGiB / p.cpuPerGiB).toFixed(2)}x` : 'not measured',
      met: ok ? x.medianMBs >= factor * p.medianMBs : undefined });
  };
  py('imapdbg', 0.9, 'without recording');
  py('imapdbg-rec', 0.8, 'with recording (pcapng)');
  // The same two in the other direction: imapdbg's own targets (the issue measures downloads only).
  for (const [kind, factor, label] of [['off', 0.9, 'without recording'], ['on', 0.8, 'with recording (pcapng)']] as const) {
    const p = uploads ? median(uploads.runs.pipe.map((r) => r.mbs)) : undefined;
    const x = uploads ? median(uploads.runs[kind].map((r) => r.mbs)) : undefined;
    const ok = p !== undefined && x !== undefined;
    out.push({ what: `upload (client's APPEND literal): throughput ${label} >= ${factor}x the pipe's (imapdbg's own target)`,
      value: ok ? `${x.toFixed(0)} / ${p.toFixed(0)} MB/s = ${(x / p).toFixed(2)}x` : 'not measured', met: ok ? x >= factor * p : undefined });
  }
  const rec = res.get('imapdbg-rec')?.throughput;
  if (rec?.captureBytes !== undefined) {
    const ratio = rec.captureBytes / SIZES.literal;
    out.push({ what: 'capture size <= 1.05x the bytes carried (big-literal session)', value: `${fmtMB(rec.captureBytes)} MB for ${SIZES.literal / MB} MB = ${ratio.toFixed(3)}x`, met: ratio <= 1.05 });
  }
  const busy = res.get('pipe-busy');
  for (const [key, client] of [['imapdbg', 'Node'], ['imapdbg-rec', 'Node'], ['imapdbg', 'Python'], ['imapdbg-rec', 'Python']] as const) {
    const p99 = (r: PathResult | undefined): number | undefined => (client === 'Node' ? r?.latency?.p99 : r?.python?.latency?.p99);
    const p = p99(pipe);
    const x = p99(res.get(key));
    const b = p99(busy);
    const ok = p !== undefined && x !== undefined;
    // For scale, the pipe that works BUSY_US µs per chunk, measured in the same blocks.
    const scale = ok && b !== undefined ? `; the pipe busy ${BUSY_US} µs per chunk: ${(b / p).toFixed(2)}x` : '';
    out.push({ what: `p99 NOOP round trip within 2x the pipe's (${client} client, ${key === 'imapdbg' ? 'recording off' : 'recording on'})`,
      value: ok ? `${x.toFixed(0)} vs ${p.toFixed(0)} µs = ${(x / p).toFixed(2)}x${scale}` : 'not measured', met: ok ? x <= 2 * p : undefined });
  }
  for (const key of ['imapdbg', 'imapdbg-rec'] as const) {
    const d = direct?.latency?.median;
    const p = pipe?.latency?.median;
    const x = res.get(key)?.latency?.median;
    const ok = d !== undefined && p !== undefined && x !== undefined;
    out.push({
      what: `median NOOP round trip within +50 µs of the pipe's (${key === 'imapdbg' ? 'recording off' : 'recording on'})`,
      value: ok ? `${signed(x - d)} µs vs pipe ${signed(p - d)} µs: ${signed(x - p)} µs` : 'not measured',
      met: ok ? x - p <= 50 : undefined,
    });
  }
  const idle = res.get('imapdbg')?.idle;
  out.push({ what: `RSS with ${SIZES.sessions} idle sessions < 100 MB (recording off)`, value: idle ? `${fmtMB(idle.rss)} MB` : 'not measured', met: idle ? idle.rss < 100 * MB : undefined });
  for (const key of ['imapdbg', 'imapdbg-rec'] as const) {
    const p = pipe?.throughput?.peak;
    const x = res.get(key)?.throughput?.peak;
    const ok = p !== undefined && x !== undefined && !Number.isNaN(p) && !Number.isNaN(x);
    out.push({
      what: `peak RSS during the ${SIZES.literal / MB} MB literal within 32 MB of the pipe's (${key === 'imapdbg' ? 'recording off' : 'recording on'})`,
      value: ok ? `${fmtMB(x)} vs ${fmtMB(p)} MB: ${signed((x - p) / MB)} MB` : 'not measured',
      met: ok ? x - p <= 32 * MB : undefined,
    });
  }
  return out;
}

function report(res: Map<PathKey, PathResult>, totalSeconds: number, readers: ReaderResults | undefined): { tables: string; targetTable: string } {
  const all = [...res.values()];
  const direct = res.get('direct');
  const pipe = res.get('pipe');
  const t1 = table(
    ['path', `MB/s (median of ${SIZES.runs})`, 'runs, MB/s', 'x pipe', 'proxy CPU s per GiB', 'x pipe CPU', 'bytes per read syscall', 'RSS before, MB', 'peak RSS during transfer, MB (max)', 'peaks per run, MB', 'load (1 min)'],
    all.filter((r) => r.throughput).map((r) => throughputRow(r.def.label, r.throughput as Throughput, pipe?.throughput)),
  );
  const pyRows = all.filter((r) => r.python?.throughput).map((r) => throughputRow(r.def.label, r.python?.throughput as Throughput, pipe?.python?.throughput));
  const tPy = table(['path', `MB/s (median of ${SIZES.runs})`, 'runs, MB/s', 'x pipe', 'proxy CPU s per GiB', 'x pipe CPU', 'bytes per read syscall', 'RSS before, MB', 'peak RSS during transfer, MB (max)', 'peaks per run, MB', 'load (1 min)'], pyRows);
  const warm = SIZES.warmNoops.toLocaleString('en');
  // p99 after the warm-up and p99 of the warm-up itself, each beside the pipe's.
  const ratioCells = (l: Latency, p: Latency | undefined, key: PathKey): string[] => {
    const vs = (x: number | undefined, y: number | undefined): string => (x !== undefined && y !== undefined && key !== 'direct' ? `${(x / y).toFixed(2)}x` : '-');
    return [vs(l.p99, p?.p99), l.coldP99 === undefined ? '-' : fmtUs(l.coldP99), vs(l.coldP99, p?.coldP99)];
  };
  const pyLat = table(['path', 'median µs', 'p99 µs', 'mean µs', 'p99 x pipe', `p99 of the first ${warm}, µs`, 'x pipe', 'proxy CPU µs per round trip', 'load (1 min)'],
    all.filter((r) => r.python?.latency).map((r) => {
      const l = r.python?.latency as Latency;
      const p = pipe?.python?.latency;
      return [r.def.label, fmtUs(l.median), fmtUs(l.p99), fmtUs(l.mean), ...ratioCells(l, p, r.def.key),
        Number.isNaN(l.cpuPerTrip) ? '-' : l.cpuPerTrip.toFixed(1), l.load?.toFixed(1) ?? '-'];
    }));
  const t2 = table(
    ['path', 'median µs', 'p99 µs', 'mean µs', 'added median µs', 'added p99 µs', 'p99 x pipe', `p99 of the first ${warm}, µs`, 'x pipe', 'proxy CPU µs per round trip', `the same, first ${warm}`, 'load (1 min)'],
    all.filter((r) => r.latency).map((r) => {
      const l = r.latency as Latency;
      const d = direct?.latency;
      return [r.def.label, fmtUs(l.median), fmtUs(l.p99), fmtUs(l.mean),
        d && r.def.key !== 'direct' ? signed(l.median - d.median) : '-', d && r.def.key !== 'direct' ? signed(l.p99 - d.p99) : '-',
        ...ratioCells(l, pipe?.latency, r.def.key),
        Number.isNaN(l.cpuPerTrip) ? '-' : l.cpuPerTrip.toFixed(1),
        l.coldCpuPerTrip === undefined || Number.isNaN(l.coldCpuPerTrip) ? '-' : l.coldCpuPerTrip.toFixed(1), l.load?.toFixed(1) ?? '-'];
    }),
  );
  const t3 = table(
    ['path', 'RSS before, MB', `RSS with ${SIZES.sessions} idle sessions, MB`, 'per session, KB', 'peak, MB', `peak during ${SIZES.line / MB} MB line, MB`, 'line: growth over before, MB'],
    all.filter((r) => r.idle || r.line).map((r) => {
      const i = r.idle;
      const l = r.line;
      return [r.def.label, fmtMB(i?.rssBefore), fmtMB(i?.rss), i ? ((i.rss - i.rssBefore) / i.sessions / 1024).toFixed(1) : '-',
        fmtMB(i?.peak), fmtMB(l?.peak), l ? signed((l.peak - l.rssBefore) / MB) : '-'];
    }),
  );
  const captures = all.filter((r) => r.throughput?.captureBytes !== undefined)
    .map((r) => `${r.def.label}: capture file of one transfer: ${fmtMB(r.throughput?.captureBytes)} MB for ${SIZES.literal / MB} MB of literal (pcapng; the session's other bytes and metadata blocks included)`);
  if (fileWrites.length > 0) {
    const of = (mode: 'sync' | 'pool'): string => {
      const runs = fileWrites.filter((f) => f.mode === mode).map((f) => f.cpuPerGiB);
      return `${median(runs).toFixed(2)} CPU s per GiB (runs ${runs.map((x) => x.toFixed(2)).join(', ')})`;
    };
    captures.push(`The kernel's part of recording, what the pipe never pays: writing ${SIZES.literal / MB} MB to a new file from Node in 64 KiB writes, no network `
      + `(\`bench/file-write-cost.ts\`), cost ${of('sync')} with writeSync on the main thread and ${of('pool')} through libuv's thread pool, as the capture writes.`);
  }
  const uploadTable = uploads ? table(['path', 'MB/s (median)', 'runs, MB/s', 'x pipe', 'proxy CPU s per GiB', 'x pipe CPU'],
    (['pipe', 'off', 'on'] as const).map((kind) => {
      const u = uploads as Uploads;
      const mbs = median(u.runs[kind].map((r) => r.mbs));
      const cpuGiB = median(u.runs[kind].map((r) => r.cpu));
      const pipeMbs = median(u.runs.pipe.map((r) => r.mbs));
      const pipeCpu = median(u.runs.pipe.map((r) => r.cpu));
      return [{ pipe: 'Node TCP pipe', off: 'imapdbg, recording off', on: 'imapdbg, recording on (pcapng)' }[kind], mbs.toFixed(0),
        u.runs[kind].map((r) => r.mbs.toFixed(0)).join(', '), kind === 'pipe' ? '1.00x' : `${(mbs / pipeMbs).toFixed(2)}x`,
        cpuGiB.toFixed(2), kind === 'pipe' ? '-' : `${(cpuGiB / pipeCpu).toFixed(2)}x`];
    })) : undefined;
  const errors = all.flatMap((r) => r.errors.map((e) => `${r.def.label}: ${e}`));
  const tables = [
    `Throughput of a ${SIZES.literal / MB} MB FETCH literal (MB = 2^20 bytes; a fresh proxy process per run, runs interleaved across paths):`, '', t1, '',
    ...(captures.length ? [...captures, ''] : []),
    `Latency of ${SIZES.noops.toLocaleString('en')} sequential NOOP round trips per path (after ${SIZES.warmNoops.toLocaleString('en')} warm-up ones, the first the freshly started proxy carries, whose p99 is shown beside; ${LATENCY_BLOCKS} blocks taken in turn across the paths):`, '', t2, '',
    ...(pyRows.length ? [`Python peers (issue 10): a Python fake server writing the ${SIZES.literal / MB} MB literal 1 MiB at a time (\`sendall\`), a Python client reading with \`recv(1 MiB)\`; a fresh proxy per transfer:`, '', tPy, '',
      `NOOP round trips from a Python client (${SIZES.noops.toLocaleString('en')}, after ${SIZES.warmNoops.toLocaleString('en')} warm-up ones, whose p99 is shown beside; one Python client with a connection through each path, every proxy up for the whole phase, in ${LATENCY_BLOCKS} blocks taken in turn across the paths as for the Node client; CPU per round trip over the measured blocks):`, '', pyLat, ''] : []),
    ...(uploadTable && uploads ? [`Uploads: a client sends a ${uploads.mib} MB APPEND literal (\`{N+}\`) to a sink server, through each path; a fresh proxy per run, runs interleaved (\`bench/upload-throughput.ts\`):`, '', uploadTable, ''] : []),
    ...(readers ? [`Capture readers: a ${fmtMB(readers.file)} MB pcapng capture recorded through the proxy (session 1: two ${SIZES.literal / MB} MB literals; session 2: 20 NOOPs; recorded in ${readers.recordSeconds.toFixed(1)} s); load average ${readers.load.toFixed(1)} before reading:`, '',
      readersTable(readers, table), '', '`view`: time to its first screen is not measured here (it needs a terminal); see the notes.', ''] : []),
    `Memory: ${SIZES.sessions.toLocaleString('en')} concurrent sessions in IDLE, and a ${SIZES.line / MB} MB line without CRLF (server to client):`, '', t3, '',
    ...(errors.length ? ['Errors:', ...errors.map((e) => `- ${e}`), ''] : []),
    `Whole benchmark: ${totalSeconds.toFixed(0)} s.`,
  ].join('\n');
  const ts = targets(res);
  if (readers) {
    const meta = readers.rows[0];
    const session = readers.rows[2];
    ts.push({ what: 'pcapng reader, metadata only (lint, stats, export --format text) >= 300 MB/s of capture', value: `${meta.mbPerS.toFixed(0)} MB/s`, met: meta.mbPerS >= 300 });
    ts.push({ what: `one small session of a ${fmtMB(readers.file)} MB capture < 0.5 s (pcapng reader, through the index)`, value: `${session.seconds.toFixed(3)} s`, met: session.seconds < 0.5 });
    for (const row of readers.rows.slice(3)) {
      ts.push({ what: `${row.what} ${row.what.includes('session') ? '< 0.5 s' : '>= 300 MB/s of capture'}`,
        value: Number.isNaN(row.mbPerS) ? row.note : `${row.seconds.toFixed(2)} s, ${row.mbPerS.toFixed(0)} MB/s`,
        met: Number.isNaN(row.mbPerS) ? false : row.what.includes('session') ? row.seconds < 0.5 : row.mbPerS >= 300 });
    }
  }
  const targetTable = table(['target (issues 2 and 10)', 'measured', 'verdict'],
    ts.map((t) => [t.what, t.value, t.met === undefined ? 'not measured' : t.met ? 'met' : '**not met**']));
  return { tables, targetTable };
}

const NOTES_MARKER = '<!-- Notes below this line are written by hand and kept when the benchmark rewrites this file. -->';

function gitDescription(): string {
  try {
    const head = execFileSync('git', ['-C', ROOT, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'src', 'bin'], { encoding: 'utf8' }).trim();
    return `commit ${head}${dirty ? ' (with uncommitted changes under src/ or bin/)' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

function machine(mitm: string | undefined): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const memTotal = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  let nproc = String(os.availableParallelism());
  try { nproc = execFileSync('nproc', { encoding: 'utf8' }).trim(); } catch { /* keep Node's count */ }
  return [
    `- CPU: ${model}, \`nproc\` = ${nproc}`,
    `- memory: ${memTotal ? (Number(memTotal) / 1024 / 1024).toFixed(1) : '?'} GiB`,
    `- kernel: ${os.release()}; Node ${process.version}`,
    `- mitmproxy: ${mitm ?? 'not installed (skipped)'}`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const t0 = Date.now();
  const loadStart = os.loadavg()[0];
  if (loadStart > 0.5) log(`warning: load average ${loadStart.toFixed(2)} before the start: other work on the machine skews the numbers`);
  const mitmBin = NO_MITM ? undefined : findOnPath('mitmdump');
  const mitmVer = mitmBin ? mitmVersion(mitmBin) : undefined;
  const defs: PathDef[] = [DIRECT, PIPE, PIPE_BUSY, imapdbgPath(false), imapdbgPath(true), imapdbgPath(false, true)];
  let readers: ReaderResults | undefined;
  if (mitmBin && mitmVer) defs.push(mitmPath(mitmBin, mitmVer));
  else log(NO_MITM ? 'mitmproxy skipped (--no-mitmproxy)' : 'mitmdump not installed: mitmproxy skipped');
  const chosen = ONLY ? defs.filter((d) => ONLY.includes(d.key)) : defs;
  if (ONLY && chosen.length === 0) throw new Error(`--paths matches none of ${defs.map((d) => d.key).join(', ')}`);
  const res = new Map<PathKey, PathResult>(chosen.map((d) => [d.key, { def: d, errors: [] }]));

  const server = await spawnReady('fake IMAP server', process.execPath,
    [path.join(__dirname, 'fake-imap-server.js'), '--literal-bytes', String(SIZES.literal), '--line-bytes', String(SIZES.line)],
    { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
  log(`fake IMAP server on 127.0.0.1:${server.port}; ${QUICK ? 'quick' : 'full'} sizes: ${JSON.stringify(SIZES)}`);
  if (resetPeak(server.pid)) log('peak RSS: VmHWM, reset through /proc/PID/clear_refs before each measured phase');
  else log('peak RSS: VmHWM since process start (clear_refs not writable here)');

  const phase = async <T>(name: string, keys: PathKey[], fn: (d: PathDef, port: number) => Promise<T>, set: (r: PathResult, v: T) => void): Promise<void> => {
    for (const r of res.values()) {
      if (!keys.includes(r.def.key)) continue;
      log(`${name}: ${r.def.label}`);
      const started = Date.now();
      try {
        set(r, await fn(r.def, server.port));
        log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        r.errors.push(`${name}: ${(err as Error).message}`);
        log(`  ${name} failed for ${r.def.label}: ${(err as Error).message}`);
      }
    }
  };
  const proxies: PathKey[] = ['pipe', 'imapdbg', 'imapdbg-rec', 'mitmproxy'];
  try {
    // Runs interleaved across the paths (run 1 of each, then run 2...), so drift hits all alike.
    const transfers = new Map<PathKey, TransferRun[]>();
    for (let run = 1; PHASES.includes('throughput') && run <= SIZES.runs; run++) {
      for (const r of res.values()) {
        if (r.def.latencyOnly || (run > 1 && !transfers.has(r.def.key))) continue; // (or failed before)
        log(`throughput run ${run}: ${r.def.label}`);
        try {
          const t = await throughputRun(r.def, server.port, run);
          transfers.set(r.def.key, [...(transfers.get(r.def.key) ?? []), t]);
        } catch (err) {
          transfers.delete(r.def.key);
          r.errors.push(`throughput: ${(err as Error).message}`);
          log(`  throughput failed for ${r.def.label}: ${(err as Error).message}`);
        }
      }
    }
    for (const [key, runs] of transfers) {
      const r = res.get(key);
      if (r) r.throughput = throughputOf(runs);
    }
    if (PHASES.includes('throughput') && res.has('imapdbg-rec')) fileWrites = measureFileWrites();
    if (PHASES.includes('latency')) await measureLatencies([...res.values()].map((r) => r.def), server.port, res);
    if (PHASES.includes('idle')) await phase('idle sessions', proxies, measureIdle, (r, v) => { r.idle = v; });
    if (PHASES.includes('line')) await phase('long line', proxies, measureLongLine, (r, v) => { r.line = v; });
    if (PHASES.includes('python')) await measurePython([...res.values()].map((r) => r.def), res);
    if (PHASES.includes('upload')) {
      try {
        uploads = measureUploads();
      } catch (err) {
        res.get('imapdbg-rec')?.errors.push(`upload: ${(err as Error).message}`);
      }
    }
    if (PHASES.includes('readers')) {
      try {
        readers = await measureReaders(server.port, tmpRoot, ROOT, log);
      } catch (err) {
        log(`readers failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await server.stop();
  }

  const seconds = (Date.now() - t0) / 1000;
  const load = `load average (1 min) ${loadStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end (the benchmark itself loads the machine; a high value at the start means other work ran alongside)`;
  const { tables, targetTable } = report(res, seconds, readers);
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  process.stdout.write(`\n$ ${command}\n\n${tables}\n${load}.\n\nTargets:\n\n${targetTable}\n`);

  let profiles = '';
  if (PROFILE && existsSync(profileDir)) {
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort();
    profiles = files.map((f) => formatProfileSummary(summarizeProfile(path.join(profileDir, f), ROOT, 15), ROOT)).join('\n\n');
    process.stdout.write(`\nCPU profiles of the imapdbg children (node --cpu-prof; numbers above include its overhead):\n\n${profiles}\n`);
    const keep = path.join(ROOT, 'dist', 'bench-profiles');
    rmSync(keep, { recursive: true, force: true });
    execFileSync('cp', ['-r', profileDir, keep]);
    process.stdout.write(`\n(profiles kept in ${path.relative(ROOT, keep)}/ for chrome://inspect or speedscope)\n`);
  }

  if (OUT) {
    // Hand-written notes after the marker survive a rewrite; everything above it is generated.
    let notes = `${NOTES_MARKER}\n`;
    try {
      const old = readFileSync(OUT, 'utf8');
      const at = old.indexOf(NOTES_MARKER);
      if (at !== -1) notes = old.slice(at);
    } catch { /* no previous report */ }
    const md = [
      '# Benchmarks',
      '',
      `Issues 2 and 10's benchmark: imapdbg against a plain Node TCP pipe (\`net.createServer\` + \`pipe\` both ways, Nagle off) measured in the same run, and mitmproxy in TCP mode where \`mitmdump\` is installed. Everything runs on 127.0.0.1: a fake IMAP server (\`bench/fake-imap-server.ts\`), each proxy as its own child process, and the client in the benchmark process. The numbers below come from the run described here; \`npm run bench\` regenerates this file.`,
      '',
      '## Machine and command',
      '',
      machine(mitmVer),
      `- run: ${new Date().toISOString()}; ${load}`,
      `- tree: ${gitDescription()}`,
      '',
      '```',
      `$ ${command}`,
      '```',
      '',
      '## Results',
      '',
      tables,
      '',
      '## Targets',
      '',
      targetTable,
      '',
      '## How it measures',
      '',
      `- Throughput: the client sends \`fN FETCH 1 BODY[]\`; the server answers \`* 1 FETCH (BODY[] {${SIZES.literal}}\` and streams the body from one reused 256 KB buffer (message-like text with CRLFs inside), then \`)\` and the tagged OK. Time runs from sending the command to the tagged OK; the client counts bytes and discards them. Median of ${SIZES.runs} runs; every run starts a fresh proxy process, and the runs are interleaved across the paths (run 1 of each path, then run 2, ...) so that drift on the machine hits all paths alike.`,
      `- Page cache: right before every transfer (Node and Python peers, every path alike) the benchmark writes and deletes a ${(SIZES.literal * 1.125 / MB).toFixed(0)} MB scratch file, so a capture is written into memory the machine has used before. On the Firecracker guests here a file write into pages the guest has not used yet (or has freed and the host has taken back, free page reporting) costs 1.6-2.5 CPU s per GiB instead of 0.4-0.5, and which one a recording run got depended on what the runs before it freed (\`bench/page-cache.ts\`).`,
      '- RSS: VmRSS and VmHWM from `/proc/PID/status` of the proxy process. "Before" is after start and a warm-up connection of 100 NOOPs; the peak is VmHWM after the phase, reset beforehand through `/proc/PID/clear_refs` where allowed (so it is the peak during that phase, which never goes below the RSS before it).',
      `- Latency: ${SIZES.noops.toLocaleString('en')} sequential \`nN NOOP\` round trips per path on one connection, after ${SIZES.warmNoops.toLocaleString('en')} warm-up ones, in ${LATENCY_BLOCKS} blocks taken in turn across the paths (every proxy is up for the whole phase; only one path carries traffic at a time). The warm-up is the first 1-2 s of each proxy process, while V8 compiles its hot path on helper threads that compete with the peers for the 2 vCPUs; its p99 is reported beside ("first N"), the target is judged on the round trips after it. "Added" is relative to the direct connection. Nearest-rank percentiles. On this VM the medians move by tens of µs from run to run (wake-ups across vCPUs); the proxy CPU per round trip moves much less.`,
      `- Idle sessions: ${SIZES.sessions.toLocaleString('en')} connections, 50 opening at a time, each sending \`iN IDLE\` and waiting for \`+ idling\`; RSS read one second after the last \`+\`.`,
      `- Long line: the server sends \`* XLINE \` and ${SIZES.line / MB} MB without CRLF, then CRLF and the tagged OK.`,
      `- "Node TCP pipe, busy ${BUSY_US} µs per chunk" (latency phases only) is the same pipe spinning ${BUSY_US} µs after it forwards each chunk (\`tcp-pipe.js --busy-us ${BUSY_US}\`), about what imapdbg spends annotating a NOOP's line after forwarding it: its p99 beside the pipe's shows how far a little work per chunk moves the tail on this machine.`,
      '- imapdbg runs as `node bin/imapdbg proxy --listen 127.0.0.1:0 --upstream ... --headless` with stdout to /dev/null, default settings (no literal digest since issue 10). "Recording on" adds `--record FILE` (pcapng, a temporary file deleted afterwards).',
      '- Python peers: `bench/python-peers.ts`, a threaded Python fake server that writes the literal with `sendall` of 1 MiB at a time, and a Python client (`recv(1 MiB)`, `TCP_NODELAY`); the proxies are the same children. "bytes per read syscall" is rchar/syscr of the proxy from `/proc/PID/io` during the transfer: the chunk size the proxy sees (the Node pipe reads at most 64 KiB at a time; the read buffer of imapdbg grows to 1 MiB while reads fill it, `src/proxy/lent-reads.ts`).',
      `- Uploads: \`bench/upload-throughput.ts\`, a Node client writing \`A APPEND INBOX {${SIZES.literal}+}\` and the literal in 256 KB writes to a sink server in the same process that reads everything and answers \`A OK\`; time from the command to the OK; the proxy's CPU from /proc. The page cache is recycled before each upload as before each download.`,
      '- Capture readers: the capture is recorded through the pcapng proxy from the Node fake server; the pcapng reader runs in the benchmark process (`readPcapngCapture`, metadata only = `data: false`), the CLI commands as child processes (`node bin/imapdbg ...`, output to /dev/null). A command that cannot read pcapng on this tree shows its one-line answer.',
      '- Load: the 1-minute load average is shown beside each figure (read at the start of the run or phase). This machine is shared; at a load above its 2 cores, wall-clock figures (MB/s, µs) are mostly scheduling, and the CPU seconds per GiB or per round trip are the figures to compare.',
      `- mitmproxy 8.x: \`mitmdump --mode reverse:http://SERVER --tcp-hosts '.*'\` (a raw TCP flow: the server greets first); 9+: \`--mode reverse:tcp://SERVER@PORT\`. It keeps every TCP message of a flow in memory, which shows in its peak RSS.`,
      '- "proxy CPU" is the proxy process\'s user + system time (from `/proc/PID/stat`, all its threads) during the transfer or the NOOPs: steadier than MB/s when other work shares the machine.',
      '',
      notes,
    ].join('\n');
    writeFileSync(OUT, md);
    log(`wrote ${path.relative(process.cwd(), OUT) || OUT}`);
  }
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
