/**
 * What a file write costs on this machine by the state of the memory it lands in (issue 10; see
 * page-cache.ts): `--files` files of `--mb` MiB written in a row and kept, so each one needs pages
 * no file had a moment ago, then as many written each after deleting the one before, so each one
 * reuses the pages just freed. Prints the CPU seconds per GiB of each write, as JSON.
 *
 *   node dist/bench/page-cache-cost.js [--mb 512] [--files 6] [--dir DIR]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileCost } from './page-cache';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : argv[i + 1] ?? '';
};
const mib = Number(option('--mb', '512'));
const files = Number(option('--files', '6'));
if (!Number.isSafeInteger(mib) || mib <= 0 || !Number.isSafeInteger(files) || files <= 0) {
  process.stderr.write('usage: page-cache-cost [--mb N] [--files N] [--dir DIR]\n');
  process.exit(2);
}
const dir = mkdtempSync(path.join(option('--dir', os.tmpdir()), 'imapdbg-page-cache-'));
try {
  const bytes = mib * 1024 * 1024;
  const kept: number[] = [];
  for (let i = 0; i < files; i++) kept.push(writeFileCost(path.join(dir, `kept-${i}.bin`), bytes, true));
  for (let i = 0; i < files; i++) rmSync(path.join(dir, `kept-${i}.bin`));
  const recycled: number[] = [];
  for (let i = 0; i < files; i++) recycled.push(writeFileCost(path.join(dir, 'recycled.bin'), bytes, false));
  const round = (xs: number[]): number[] => xs.map((x) => Math.round(x * 100) / 100);
  process.stdout.write(`${JSON.stringify({ mib, keptCpuPerGiB: round(kept), recycledCpuPerGiB: round(recycled) })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
