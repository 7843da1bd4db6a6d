// Hostile capture files against the real bin/imapdbg: a record line too long for readline, a
// FIFO, a directory, header versions and record numbers nobody wrote. Each must be one line on
// standard error naming the file, exit 2 (lint keeps 1 for "errors found"), never a stack trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IMAPDBG, runCli, type CliResult } from '../fixtures-tools/run-cli';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/idle-updates.pcapng');
const HEADER = '{"r":"header","format":"imapdbg-capture","version":1,"createdUs":1700000000000000,"tool":"imapdbg test"}\n';
const OPEN = '{"r":"session-open","session":{"id":1,"startUs":1700000000000000,"client":"127.0.0.1:1","upstream":"127.0.0.1:2","listen":"127.0.0.1:3"}}\n';
let dir: string;

before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-capture-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** Exit 2 and exactly one line on stderr that matches, no stack frame anywhere. */
function assertOneLine(r: CliResult, pattern: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr: ${r.stderr.slice(0, 500)}`);
  assert.match(r.stderr, /^imapdbg: [^\n]*\n$/, `${what}: not one line: ${r.stderr.slice(0, 500)}`);
  assert.match(r.stderr, pattern, what);
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, `${what}: a stack trace`);
}

test('a record line of 520 MB (readline: "Invalid string length") is refused at the bound, one line, exit 2', { timeout: 600_000 }, async () => {
  // Sparse: 520 MB of NUL bytes cost no disk and no test memory; the reader stops at its bound.
  const big = path.join(dir, 'huge-line.imapcap');
  fs.writeFileSync(big, HEADER + OPEN);
  const fd = fs.openSync(big, 'r+');
  fs.ftruncateSync(fd, fs.fstatSync(fd).size + 520 * 1024 * 1024);
  fs.writeSync(fd, '\n', fs.fstatSync(fd).size);
  fs.closeSync(fd);
  try {
    for (const cmd of [['lint'], ['stats'], ['export']]) {
      const r = await runCli([...cmd, big], 300_000);
      assertOneLine(r, new RegExp(`huge-line\\.imapcap:3: record longer than ${64 * 1024 * 1024} bytes`), cmd[0]);
    }
  } finally {
    fs.rmSync(big, { force: true });
  }
});

test('a FIFO as the capture is refused at once instead of waiting for a writer forever', { skip: process.platform === 'win32' }, async () => {
  const fifo = path.join(dir, 'pipe.imapcap');
  execFileSync('mkfifo', [fifo]);
  for (const cmd of [['lint'], ['stats'], ['export'], ['export', '--format', 'rawlog', '--out-prefix', path.join(dir, 'x')], ['replay', '--serve', '127.0.0.1:0']]) {
    // The kill after 60 s only turns a hang into a failure.
    const r = await runCli([...cmd, fifo], 60_000);
    assertOneLine(r, /pipe\.imapcap: it is a FIFO \(named pipe\), not a regular file$/m, cmd.join(' '));
  }
});

test('a directory, an absent file and a device as the capture: one line naming it, exit 2, for every command', async () => {
  const cases: Array<[string, RegExp]> = [
    [dir, new RegExp(`${path.basename(dir)}: it is a directory`)],
    [path.join(dir, 'absent.imapcap'), /absent\.imapcap: ENOENT/],
    ['/dev/null', /\/dev\/null: it is a device/],
  ];
  for (const [target, pattern] of cases) {
    for (const cmd of [['lint'], ['stats'], ['export'], ['export', '--format', 'json'], ['replay', '--serve', '127.0.0.1:0']]) {
      assertOneLine(await runCli([...cmd, target]), pattern, `${cmd.join(' ')} ${target}`);
    }
  }
});

test('header versions 0, -1, null, "1" and 1.5 are refused with file:1, exit 2 (lint keeps 1 for findings)', async () => {
  for (const version of ['0', '-1', 'null', '"1"', '1.5']) {
    const f = file(`v${version.replace(/\W/g, '_')}.imapcap`, HEADER.replace('"version":1', `"version":${version}`) + OPEN);
    for (const cmd of ['lint', 'stats', 'export']) {
      assertOneLine(await runCli([cmd, f]), /\.imapcap:1: capture format version .* is not one imapdbg wrote/, `${cmd} version ${version}`);
    }
  }
});

test('absurd numbers in records (1e300, negative, fractional times and sizes) are refused with file:line, never NaN:NaN:NaN', async () => {
  const data = (t: string, s = '1'): string => `{"r":"data","t":${t},"s":${s},"d":"s","l":"w","b":"KiBPSw0K"}\n`;
  const cases: Array<[string, string, RegExp]> = [
    ['time-huge', OPEN + data('1e300'), /:3: data record without s, t \(whole numbers\)/],
    ['time-negative', OPEN + data('-5'), /:3: data record without s, t/],
    ['session-fraction', OPEN + data('1700000000000001', '1.5'), /:3: data record without s, t/],
    ['open-time', OPEN.replace('"startUs":1700000000000000', '"startUs":1e300'), /:2: session-open record without session\.id and session\.startUs/],
    ['close-bytes', `${OPEN}{"r":"session-close","t":1700000000000002,"s":1,"end":{"by":"client-closed"},"bytes":{"client":-1,"server":0},"frames":0}\n`,
      /:3: session-close record without/],
    ['frame-time', `${OPEN}{"r":"frame","text":"x","f":{"session":1,"seq":1,"direction":"server","kind":"untagged","timeUs":1e300,"endUs":1,"offset":0,"length":3,"parts":[],"secrets":[],"annotations":[]}}\n`,
      /:3: frame record with f\.timeUs=1e\+300: not a count or time/],
    ['literal-size', `${OPEN}{"r":"frame","text":"x","f":{"session":1,"seq":1,"direction":"server","kind":"untagged","timeUs":1,"endUs":1,"offset":0,"length":3,"parts":[{"type":"literal","literal":{"size":1e300,"received":0,"offset":0}}],"secrets":[],"annotations":[]}}\n`,
      /:3: frame record with f\.parts\[0\]\.size=1e\+300/],
    ['header-created', OPEN, /:1: header createdUs/],
  ];
  for (const [name, body, pattern] of cases) {
    const head = name === 'header-created' ? HEADER.replace('"createdUs":1700000000000000', '"createdUs":"soon"') : HEADER;
    const f = file(`${name}.imapcap`, head + body);
    const r = await runCli(['export', f]);
    assert.doesNotMatch(r.stdout, /NaN/, name);
    assertOneLine(r, pattern, name);
  }
});

test('a header-only capture: rawlog export says there is nothing to write instead of "wrote " and nothing', async () => {
  const f = file('header-only.imapcap', HEADER);
  const r = await runCli(['export', f, '--format', 'rawlog', '--out-prefix', path.join(dir, 'ho')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^imapdbg: .*header-only\.imapcap has no sessions: nothing written\n$/);
});

test('export -o into a missing directory or a full disk: one line, exit 2; -o creates the file 0600', async () => {
  assertOneLine(await runCli(['export', FIXTURE, '-o', path.join(dir, 'no', 'such', 'out.txt')]), /cannot write .*out\.txt: ENOENT$/m, '-o missing dir');
  if (fs.existsSync('/dev/full')) {
    assertOneLine(await runCli(['export', FIXTURE, '--format', 'raw', '-s', '1', '-d', 'server', '-o', '/dev/full']), /cannot write \/dev\/full: ENOSPC$/m, '-o /dev/full');
  }
  const old = process.umask(0o022);
  try {
    const out = path.join(dir, 'raw.bin');
    const r = await runCli(['export', FIXTURE, '--format', 'raw', '-s', '1', '-d', 'client', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  } finally {
    process.umask(old);
  }
});

test('export | head: a reader that goes away early ends the export quietly, exit 0', async () => {
  // A capture big enough that export is still writing when the reader leaves.
  const big = path.join(dir, 'many.imapcap');
  const record = '{"r":"data","t":1700000000000001,"s":1,"d":"s","l":"w","b":"KiAxIEVYSVNUUw0K"}\n';
  fs.writeFileSync(big, HEADER + OPEN + record.repeat(200_000));
  const child = spawn(process.execPath, [IMAPDBG, 'export', big], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('view (on a terminal) of a directory or a FIFO: one line naming it, exit 2, no wait', { skip: !fs.existsSync('/usr/bin/script') }, async () => {
  const fifo = path.join(dir, 'view.fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [target, pattern] of [[dir, /: it is a directory/], [fifo, /view\.fifo: it is not a regular file/]] as const) {
    // `script` gives the command a pseudo-terminal; its output (both streams) comes back on stdout.
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(IMAPDBG)} view ${JSON.stringify(target)}`, '/dev/null'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    // The kill after 60 s only turns a hang into a failure.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 2, out);
    assert.match(out, /^imapdbg: cannot read capture [^\n]*\r?\n$/, out);
    assert.match(out, pattern);
  }
});
