/**
 * The capture readers' speed (issue 10): a pcapng capture recorded through the proxy (one session
 * with two big literals, then a small one), read by the pcapng reader as lint/stats/text export need
 * it (metadata only), in full, and one session through the index; and by the CLI commands when they
 * read pcapng on this tree (else their one-line answer is reported).
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { statSync } from 'node:fs';
import { readPcapngCapture } from '../src/capture/pcapng/pcapng-capture-reader';
import { closeConnection, fetchLiteral, noopRoundTrips, openConnection } from './imap-client';
import { spawnImapdbgProxy } from './relays';

const MB = 1024 * 1024;

export interface ReaderRow { what: string; seconds: number; mbPerS: number; cpuSeconds?: number; note: string }
export interface ReaderResults { file: number; load: number; rows: ReaderRow[]; recordSeconds: number }

/** Record a capture of about `2 x literal` bytes through `imapdbg proxy --record` into `file`. */
async function record(file: string, serverPort: number): Promise<number> {
  const child = await spawnImapdbgProxy('imapdbg proxy --record', serverPort, { args: ['--headless', '--record', file, '--force'] });
  const t0 = Date.now();
  try {
    const big = await openConnection(child.port);
    await fetchLiteral(big, 'f1');
    await fetchLiteral(big, 'f2');
    await closeConnection(big);
    const small = await openConnection(child.port);
    await noopRoundTrips(small, 20, 's');
    await closeConnection(small);
  } finally {
    await child.stop();
  }
  return (Date.now() - t0) / 1000;
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function api(file: string, what: string, options: Parameters<typeof readPcapngCapture>[2]): Promise<ReaderRow> {
  const size = statSync(file).size;
  const c0 = cpu();
  const t0 = process.hrtime.bigint();
  let events = 0;
  const r = await readPcapngCapture(file, () => { events++; }, options);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { what, seconds, mbPerS: size / MB / seconds, cpuSeconds: cpu() - c0, note: `${events} events${r.pcapng.seeked ? ', seeked through the index' : ''}` };
}

function cli(file: string, what: string, args: string[], root: string): ReaderRow {
  const size = statSync(file).size;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'imapdbg'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const failed = r.status !== 0;
  const line = (r.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? '';
  return { what, seconds, mbPerS: failed ? NaN : size / MB / seconds, note: failed ? `exit ${r.status ?? r.signal}: ${line.split(file).join('FILE').slice(0, 160)}` : 'exit 0' };
}

export async function measureReaders(serverPort: number, dir: string, root: string, log: (m: string) => void): Promise<ReaderResults> {
  const file = path.join(dir, 'readers.pcapng');
  log('readers: recording the capture through the pcapng proxy');
  const recordSeconds = await record(file, serverPort);
  const load = os.loadavg()[0];
  log(`readers: capture of ${(statSync(file).size / MB).toFixed(0)} MB recorded in ${recordSeconds.toFixed(1)} s (load ${load.toFixed(1)})`);
  const rows: ReaderRow[] = [];
  rows.push(await api(file, 'pcapng reader, metadata only (what lint, stats, export --format text need)', { data: false }));
  rows.push(await api(file, 'pcapng reader, every event with payloads', { data: true }));
  rows.push(await api(file, 'pcapng reader, session 2 only (export --session 2)', { session: 2, data: true }));
  rows.push(cli(file, '`imapdbg lint`', ['lint', file], root));
  rows.push(cli(file, '`imapdbg stats`', ['stats', file], root));
  rows.push(cli(file, '`imapdbg export --format text`', ['export', file, '--format', 'text'], root));
  rows.push(cli(file, '`imapdbg export --format raw --session 2 --direction server`', ['export', file, '--format', 'raw', '--session', '2', '--direction', 'server'], root));
  for (const r of rows) log(`  ${r.what}: ${r.seconds.toFixed(3)} s, ${Number.isNaN(r.mbPerS) ? '-' : r.mbPerS.toFixed(0)} MB/s; ${r.note}`);
  return { file: statSync(file).size, load, rows, recordSeconds };
}

export function readersTable(r: ReaderResults, table: (h: string[], rows: string[][]) => string): string {
  return table(['reader', 'seconds', 'MB/s of capture', 'reader CPU s', 'note'],
    r.rows.map((x) => [x.what, x.seconds.toFixed(3), Number.isNaN(x.mbPerS) ? '-' : x.mbPerS.toFixed(0), x.cpuSeconds === undefined ? '-' : x.cpuSeconds.toFixed(2), x.note.replace(/\|/g, '\\|')]));
}
