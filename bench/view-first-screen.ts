/**
 * `imapdbg view` on a big capture (issue 10: its first screen of a 1 GB capture in < 2 s): the time
 * from pressing Enter on the command line to the first screen that lists a session, and to the
 * status line saying the whole file is loaded, read from a tmux pane the way the TUI tests read it
 * (a private tmux server, capture-pane polled every 20 ms). The same for a small fixture capture, so
 * the start-up of Node and the screen is told apart from the reading.
 *
 *   npm run bench:view [-- --capture FILE] [-- --runs N]
 *
 * Without --capture it records a ~1 GB capture through the proxy (bench/big-capture.ts) into a
 * temporary directory and removes it afterwards. Prints the figures; writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GIB_CAPTURE, recordBigCapture } from './big-capture';

const ROOT = path.resolve(__dirname, '..', '..');
const MB = 1024 * 1024;

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

class Pane {
  private readonly socket = `imapdbg-bench-view-${process.pid}`;

  constructor(width: number, height: number) {
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(width), '-y', String(height), '-c', ROOT,
      'env', 'PS1=$ ', 'LANG=C.UTF-8', 'TERM=screen-256color', 'bash', '--norc', '--noprofile', '-i');
    this.tmux('set-option', '-g', 'status', 'off');
  }

  keys(...keys: string[]): void { this.tmux('send-keys', ...keys); }
  type(text: string): void { this.tmux('send-keys', '-l', text); }
  screen(): string { return this.tmux('capture-pane', '-p'); }
  kill(): void { try { this.tmux('kill-server'); } catch { /* already gone */ } }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

interface Timing { firstScreen: number; loaded: number }

const FIRST_SCREEN = /sessions \([1-9]\d*\)[\s\S]*\n\s+1 \S/;
const LOADED = /loaded \d+ frames/;

async function timeView(pane: Pane, file: string): Promise<Timing> {
  await waitFor(pane, (s) => /^\$ ?$/m.test(s), 10_000);
  pane.type(`node bin/imapdbg view ${file}`);
  const t0 = process.hrtime.bigint();
  pane.keys('Enter');
  const since = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  await waitFor(pane, (s) => FIRST_SCREEN.test(s), 120_000);
  const firstScreen = since();
  await waitFor(pane, (s) => LOADED.test(s), 600_000);
  const loaded = since();
  pane.keys('Q');
  await waitFor(pane, (s) => !FIRST_SCREEN.test(s) && /^\$ ?$/m.test(s), 10_000);
  pane.keys('C-l');
  return { firstScreen, loaded };
}

async function waitFor(pane: Pane, test: (screen: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = pane.screen();
    if (test(s)) return s;
    if (Date.now() > deadline) throw new Error(`view: timed out; the screen was:\n${s}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const runs = Number(option('--runs') ?? 3);
  let capture = option('--capture');
  const tmp = capture ? undefined : mkdtempSync(path.join(os.tmpdir(), 'imapdbg-bench-view-'));
  const pane = new Pane(160, 48);
  try {
    if (!capture) {
      capture = path.join(tmp as string, 'big.pcapng');
      process.stderr.write(`view bench: recording a ${GIB_CAPTURE.literals} x ${GIB_CAPTURE.literalBytes / MB} MB literal session among ${GIB_CAPTURE.smallSessions} small ones\n`);
      await recordBigCapture(capture, GIB_CAPTURE);
    }
    const small = path.join(ROOT, 'fixtures', 'idle-updates.pcapng');
    const rows: Array<[string, string, Timing[]]> = [];
    for (const [what, file] of [['small fixture', small], ['big capture', capture]] as const) {
      const timings: Timing[] = [];
      for (let i = 0; i < runs; i++) timings.push(await timeView(pane, file));
      rows.push([what, file, timings]);
    }
    process.stdout.write(`imapdbg view, time from Enter to the screen (median of ${runs}; load average ${os.loadavg()[0].toFixed(1)}):\n`);
    for (const [what, file, timings] of rows) {
      const size = statSync(file).size / MB;
      process.stdout.write(`  ${what} (${size.toFixed(size < 10 ? 2 : 0)} MB): first screen listing a session ${median(timings.map((t) => t.firstScreen)).toFixed(2)} s`
        + ` (runs ${timings.map((t) => t.firstScreen.toFixed(2)).join(', ')}); whole file loaded ${median(timings.map((t) => t.loaded)).toFixed(2)} s\n`);
    }
  } finally {
    pane.kill();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`view bench: ${err.message}\n`);
  process.exit(1);
});
