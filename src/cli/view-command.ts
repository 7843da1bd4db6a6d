import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { Command } from 'commander';
import { CaptureError } from '../capture/capture-reader';
import { readCaptureEvents } from '../capture/capture-export';
import { IdleWatch } from '../imap/idle-watch';
import { CAPTURE_FORMAT } from '../capture/format';
import { captureFormatOf } from '../capture/pcapng/capture-format-sniffer';
import type { ProxyEvent } from '../imap/events';
import { positiveInt, UsageError } from './usage-error';

interface ViewOptions {
  speed?: number;
  session?: number;
  revealSecrets: boolean;
  utc: boolean;
}

export function registerViewCommand(program: Command): void {
  program.command('view')
    .description('inspect a capture in the terminal UI (sessions, frames, IDLE periods, literals, findings)')
    .argument('<file>', 'capture file written by `imapdbg proxy --record` (pcapng, or a JSON Lines capture of an earlier version)')
    .option('--speed <factor>', 'replay in real time scaled by this factor (2 = twice as fast) instead of loading at once', positiveNumber)
    .option('-s, --session <n>', 'only this session (a pcapng capture is read from its index: no need to read the whole file)', positiveInt('--session'))
    .option('--reveal-secrets', 'show LOGIN passwords and AUTHENTICATE data instead of masking them', false)
    .option('--utc', 'show times in UTC', false)
    .addHelpText('after', `
Examples:
  imapdbg view session.pcapng
  imapdbg view session.pcapng --speed 10      # watch it happen, ten times as fast
  imapdbg view big.pcapng --session 3         # one session of a big capture

Press ? in the UI for every key; f filters frames (e.g. ~c FETCH & ~lit >1M).`)
    .action(async (file: string, opts: ViewOptions) => runView(file, opts));
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--speed must be a positive number (got "${value}")`);
  return n;
}

async function runView(file: string, opts: ViewOptions): Promise<void> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('view needs a terminal (stdin and stdout must be a TTY); for text use `imapdbg export FILE`');
  }
  checkHeader(file);
  const replay = opts.speed === undefined ? undefined : new ReplayClock(opts.speed);
  // Loaded here, not at the top: every other command (the proxy above all) would pay blessed's RSS.
  const { openTui } = await import('../tui/tui-app');
  const app = openTui({
    source: { mode: 'file', title: file, speed: opts.speed }, revealSecrets: opts.revealSecrets, utc: opts.utc,
    now: replay ? () => replay.now() : undefined,
  });
  const leave = (code: number) => (): void => {
    app.destroy();
    process.exit(code);
  };
  process.once('SIGTERM', leave(143));
  process.once('SIGINT', leave(130));
  // With --reveal-secrets the frames come from the raw bytes: recorded frames have secrets overwritten.
  // The IDLE watch derives its timing findings and push-latency relations again (a JSON Lines capture
  // of an earlier version has none). Not for one session alone: relations need the other sessions,
  // so then the ones recorded with the capture are kept.
  const sink = opts.session === undefined ? new IdleWatch(app.sink) : app.sink;
  // The status line says how far the reading got (a 1 GB capture takes seconds to read through).
  app.model.loading = { read: 0, total: 1 };
  const onProgress = (read: number, total: number): void => { app.model.loading = { read, total }; };
  // The screen needs data events only for byte counts and throughput: a pcapng reader skips the
  // payloads (the detail pane reads a frame's bytes from the file when it is opened).
  const loading = readCaptureEvents(file, { revealSecrets: opts.revealSecrets, session: opts.session, data: 'sizes', onProgress }, async (event) => {
    if (replay) await replay.wait(eventTime(event));
    sink.handle(event);
  }).then((result) => {
    app.model.loading = undefined;
    replay?.finish();
    app.model.playing = false;
    const frames = app.model.store.size;
    app.model.say(result.truncated ? `loaded ${frames} frames; the last record was cut off` : `loaded ${frames} frames`, result.truncated);
    app.model.onChange();
  }, (err: unknown) => {
    app.model.loading = undefined;
    app.model.playing = false;
    app.model.say(err instanceof CaptureError ? err.message : `cannot read ${file}: ${(err as Error).message}`, true);
    app.model.onChange();
  });
  await app.quit;
  app.destroy();
  void loading;
  process.exit(0);
}

/** Refuse a file that is not a capture before the screen opens, so the error is one plain line. */
function checkHeader(file: string): void {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO opens at once (and is refused below) instead of waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`cannot read capture ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new UsageError(`cannot read capture ${file}: it is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}`);
  }
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  // Its reader checks the rest of a pcapng capture; a foreign pcapng file is reported on the status line.
  if (captureFormatOf(file) === 'pcapng') return;
  const first = buf.subarray(0, n).toString('utf8').split('\n')[0];
  try {
    const header = JSON.parse(first) as { r?: string; format?: string };
    if (header.r === 'header' && header.format === CAPTURE_FORMAT) return;
  } catch { /* reported below */ }
  throw new UsageError(`${file} is not an imapdbg capture (neither pcapng nor a JSON Lines capture with a "${CAPTURE_FORMAT}" header)`);
}

function eventTime(event: ProxyEvent): number {
  switch (event.type) {
    case 'session-open': return event.session.startUs;
    case 'frame': return event.frame.timeUs;
    default: return event.timeUs;
  }
}

/** Maps capture time to wall time scaled by `speed`, from the first event on. */
class ReplayClock {
  private originUs: number | undefined;
  private readonly startMs = Date.now();
  private lastUs = 0;
  private done = false;

  constructor(private readonly speed: number) {}

  /** Capture time that corresponds to now (the last event's once the replay is over). */
  now(): number {
    if (this.originUs === undefined) return 0;
    if (this.done) return this.lastUs;
    return this.originUs + (Date.now() - this.startMs) * 1000 * this.speed;
  }

  async wait(timeUs: number): Promise<void> {
    if (this.originUs === undefined) this.originUs = timeUs;
    this.lastUs = Math.max(this.lastUs, timeUs);
    const dueMs = this.startMs + (timeUs - this.originUs) / 1000 / this.speed;
    const delay = dueMs - Date.now();
    if (delay > 1) await new Promise((r) => setTimeout(r, Math.min(delay, 60_000)));
  }

  finish(): void {
    this.done = true;
  }
}
