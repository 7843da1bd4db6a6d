// Hostile inputs to `imapdbg import` (the real bin/imapdbg) and to the scripted client's framing:
// a FIFO, an absurd socat block length, and the literal forms `{N-}` a regex used to miss.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, type CliResult } from '../fixtures-tools/run-cli';
import { ScriptedClient } from '../../src/replay/scripted-client';

let dir: string;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-import-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function assertOneLine(r: CliResult, pattern: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}, stderr: ${r.stderr.slice(0, 500)}`);
  assert.match(r.stderr, /^imapdbg: [^\n]*\n$/, `${what}: not one line: ${r.stderr.slice(0, 500)}`);
  assert.match(r.stderr, pattern, what);
}

test('import from a FIFO, a directory or a device is refused at once, one line, exit 2', { skip: process.platform === 'win32' }, async () => {
  const fifo = path.join(dir, 'socat.fifo');
  execFileSync('mkfifo', [fifo]);
  fs.mkdirSync(path.join(dir, 'rl.in'));
  fs.writeFileSync(path.join(dir, 'rl.out'), '* OK hi\r\n');
  const cases: Array<[string[], RegExp]> = [
    [['--socat', fifo], /socat\.fifo: it is a FIFO/],
    [['--socat', '/dev/zero'], /\/dev\/zero: it is a device/],
    [['--socat', dir], /: it is a directory/],
    [['--rawlog', path.join(dir, 'rl')], /rl\.in: it is a directory/],
  ];
  for (const [args, pattern] of cases) {
    const out = path.join(dir, 'never.imapcap');
    // The kill after 60 s only turns a hang into a failure.
    assertOneLine(await runCli(['import', ...args, '-o', out], 60_000), pattern, args.join(' '));
    assert.equal(fs.existsSync(out), false);
  }
});

test('a socat block announcing 10^12 bytes is streamed, not allocated: "the log ends first", exit 2, no capture left', async () => {
  const log = path.join(dir, 'huge-block.log');
  fs.writeFileSync(log, '< 2024/01/01 12:00:00.000001  length=1000000000000 from=0 to=999999999999\n* OK hi\\r\n');
  const out = path.join(dir, 'huge-block.imapcap');
  assertOneLine(await runCli(['import', '--socat', log, '-o', out]), /huge-block\.log:3: expected 999999999991 more bytes of the block announced at line 1/, 'huge block');
  assert.equal(fs.existsSync(out), false);
});

test('rawlog import: a {N-} literal body is not read as lines (a command in it no longer reorders the dialog)', async () => {
  const prefix = path.join(dir, 'minus');
  // The APPEND's 9-byte LITERAL- body looks like a command "b1 NOOP"; a regex that misses {N-}
  // takes it for one and interleaves the server's "a2 OK" before the client's "a2 NOOP".
  fs.writeFileSync(`${prefix}.in`, 'a1 APPEND INBOX {9-}\r\nb1 NOOP\r\n\r\na2 NOOP\r\n');
  fs.writeFileSync(`${prefix}.out`, '* OK ready\r\na1 OK appended\r\na2 OK noop\r\n');
  const out = path.join(dir, 'minus.imapcap');
  const imported = await runCli(['import', '--rawlog', prefix, '-o', out]);
  assert.equal(imported.code, 0, imported.stderr);
  const text = await runCli(['export', out, '--utc']);
  const order = text.stdout.split('\n').filter((l) => / [CS]: /.test(l)).map((l) => l.replace(/^.* ([CS]): /, '$1: '));
  const expected = ['S: * OK ready', 'C: a1 APPEND INBOX {9-} «9 bytes', 'S: a1 OK appended', 'C: a2 NOOP', 'S: a2 OK noop'];
  assert.deepEqual(order.map((l, i) => l.slice(0, expected[i]?.length ?? l.length)), expected, order.join('\n'));
  const lint = await runCli(['lint', out, '--level', 'error']);
  assert.equal(lint.code, 0, lint.stdout);
});

test('the scripted client reads a response with {N-} and ~{N} literals whole (a body line that looks tagged is not the answer)', async () => {
  const server = net.createServer((socket) => {
    socket.write('* OK ready\r\n');
    socket.once('data', () => {
      // Bodies end in what looks like the tagged answer; the real one comes after the literals.
      socket.write('* 1 FETCH (BODY[] {9-}\r\nt1 OK z\r\n BINARY[] ~{9}\r\nt1 NO y\r\n)\r\nt1 OK done\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    const client = new ScriptedClient(socket);
    assert.equal(await client.next(), '* OK ready');
    const result = await client.command('t1', 'FETCH 1 (BODY[] BINARY[])');
    assert.equal(result.tagged, 't1 OK done');
    assert.deepEqual(result.responses, ['* 1 FETCH (BODY[] {9-}\r\nt1 OK z\r\n BINARY[] ~{9}\r\nt1 NO y\r\n)']);
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('a rawlog file over the 256 MiB bound is refused by name before it is read (the pair is read whole)', async () => {
  const prefix = path.join(dir, 'huge-rawlog');
  // Sparse: no disk, and the bound is checked on the size, so nothing is read.
  fs.writeFileSync(`${prefix}.in`, '');
  fs.truncateSync(`${prefix}.in`, 256 * 1024 * 1024 + 1);
  fs.writeFileSync(`${prefix}.out`, '* OK hi\r\n');
  try {
    const out = path.join(dir, 'huge-rawlog.imapcap');
    assertOneLine(await runCli(['import', '--rawlog', prefix, '-o', out], 300_000),
      /cannot import rawlog .*huge-rawlog\.in: 268435457 bytes, more than the 268435456 this import reads into memory/, 'huge rawlog');
    assert.equal(fs.existsSync(out), false);
  } finally {
    fs.rmSync(`${prefix}.in`, { force: true });
  }
});
