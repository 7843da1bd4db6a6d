/**
 * The kernel's price of writing a capture's bytes, without any network or imapdbg (issue 10): a
 * fresh file gets `--mb` MiB in 64 KiB writes (the size of the capture's flushes), and the process
 * prints its CPU seconds (user + system, all threads) per GiB as JSON. `--mode sync` writes with
 * writeSync on the main thread; `--mode pool` with fs.write, one at a time, through libuv's thread
 * pool as the capture writer does. On this VM the pool's writes cost about three times the CPU of
 * the same writes made on the main thread.
 *
 *   node dist/bench/file-write-cost.js --file PATH [--mb 512] [--mode sync|pool]
 */
import { closeSync, openSync, unlinkSync, write, writeSync } from 'node:fs';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const file = option('--file');
const mib = Number(option('--mb') ?? 512);
const mode = option('--mode') ?? 'sync';
if (file === undefined || !Number.isFinite(mib) || mib <= 0 || (mode !== 'sync' && mode !== 'pool')) {
  process.stderr.write('usage: file-write-cost --file PATH [--mb N] [--mode sync|pool]\n');
  process.exit(2);
}
const chunk = Buffer.alloc(64 * 1024, 'Lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\r\n');
const total = mib * 1024 * 1024;
const fd = openSync(file, 'wx', 0o600);
const before = process.cpuUsage();
const started = process.hrtime.bigint();

function finish(): void {
  const used = process.cpuUsage(before);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(fd);
  unlinkSync(file as string);
  const gib = mib / 1024;
  process.stdout.write(`${JSON.stringify({ mode, cpuPerGiB: (used.user + used.system) / 1e6 / gib, systemPerGiB: used.system / 1e6 / gib, seconds })}\n`);
}

if (mode === 'sync') {
  for (let written = 0; written < total; written += chunk.length) writeSync(fd, chunk);
  finish();
} else {
  let written = 0;
  const next = (err: NodeJS.ErrnoException | null): void => {
    if (err) throw err;
    if (written >= total) { finish(); return; }
    written += chunk.length;
    write(fd, chunk, next);
  };
  next(null);
}
