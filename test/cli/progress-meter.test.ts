// The progress meter of commands that read or convert a capture: on a terminal only, not before a
// second, redrawn at most a few times a second, erased at the end; piped or redirected, nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { progressMeter, progressText, REDRAW_EVERY_MS } from '../../src/cli/progress-meter';
import type { StatusLine } from '../../src/headless/terminal-output';
import { BIN, runImapdbg } from '../harness/imapdbg-process';
import { bigLiteralSession, writePcapng } from '../capture/pcapng/pcapng-support';

function fakeLine(terminal: boolean): StatusLine & { drawn: string[]; cleared: number } {
  const line = { terminal, drawn: [] as string[], cleared: 0, show: (t: string) => { line.drawn.push(t); }, clear: () => { line.cleared += 1; } };
  return line;
}

test('meter: nothing in the first second, then at most one redraw per interval, erased at the end', () => {
  let now = 0;
  const line = fakeLine(true);
  const meter = progressMeter('lint big.pcapng', line, () => now, 1000);
  meter.onProgress(1_000_000, 10_000_000);
  now = 999;
  meter.onProgress(2_000_000, 10_000_000);
  assert.deepEqual(line.drawn, []);
  now = 1000;
  meter.onProgress(5_000_000, 10_000_000);
  now = 1000 + REDRAW_EVERY_MS - 1;
  meter.onProgress(6_000_000, 10_000_000);
  assert.equal(line.drawn.length, 1);
  assert.equal(line.drawn[0], 'imapdbg: lint big.pcapng: 5.0 MB of 10.0 MB (50%), 5.0 MB/s, 1 s left');
  now = 1000 + REDRAW_EVERY_MS;
  meter.onProgress(7_000_000, 10_000_000);
  assert.equal(line.drawn.length, 2);
  meter.done();
  assert.equal(line.cleared, 1);
});

test('meter: a short read draws nothing and erases nothing; not a terminal: nothing at all', () => {
  let now = 0;
  const quick = fakeLine(true);
  const m = progressMeter('x', quick, () => now, 1000);
  m.onProgress(10, 10);
  m.done();
  assert.deepEqual([quick.drawn, quick.cleared], [[], 0]);
  const piped = fakeLine(false);
  const p = progressMeter('x', piped, () => now, 0);
  now = 5000;
  p.onProgress(10, 100);
  p.done();
  assert.deepEqual([piped.drawn, piped.cleared], [[], 0]);
  assert.equal(progressText(0, 0, 0), '0 B of 0 B (100%), 0 B/s');
  assert.equal(progressText(1_500_000_000, 3_000_000_000, 600), '1.5 GB of 3.0 GB (50%), 2.5 MB/s, 10 min 0 s left');
});

test('on a pseudo-terminal export shows progress on stderr and erases it; piped, stderr stays empty', { skip: !fs.existsSync('/usr/bin/script') }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-progress-'));
  try {
    const capture = path.join(dir, 'big.pcapng');
    await writePcapng(capture, bigLiteralSession(1, 8_000_000));
    const args = ['export', capture, '--format', 'raw', '--session', '1', '--direction', 'server', '-o', path.join(dir, 'out.bin')];
    // `script` gives the command a pseudo-terminal; both its streams come back on script's stdout.
    const child = spawn('script', ['-qec', [process.execPath, BIN, ...args].map((a) => JSON.stringify(a)).join(' '), '/dev/null'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IMAPDBG_PROGRESS_AFTER_MS: '0' } });
    let out = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => { out += d; });
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    assert.equal(code, 0, out);
    assert.match(out, /\rimapdbg: export [^\r]*big\.pcapng: [\d.]+ [kMG]?B of 8\.\d MB \(\d+%\), [\d.]+ [kMG]?B\/s/, JSON.stringify(out));
    assert.ok(out.endsWith('\r\x1b[K'), `erased at the end: ${JSON.stringify(out.slice(-40))}`);
    // The same, piped, with the same zero delay: nothing on stderr.
    process.env.IMAPDBG_PROGRESS_AFTER_MS = '0';
    const piped = await runImapdbg(args).finally(() => { delete process.env.IMAPDBG_PROGRESS_AFTER_MS; });
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
