// `imapdbg replay --serve` against hostile clients, run as a user would (the real bin/imapdbg on a
// fixture): a 64 MB line without CRLF, a flood of unparsable lines, Ctrl-C in the middle of a long
// line. The server must stay bounded in memory and stderr, keep answering, and stop on SIGINT.
// No timing assertions: a hang only ends at the test timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { readUntil, tagged } from '../harness/lines';
import { startCli } from '../fixtures-tools/run-cli';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/login-literal.imapcap');
/** Only a hang ends a wait: the test timeout is the bound, not this. */
const NO_TIMEOUT = 3_600_000;
const MB = 1024 * 1024;

interface Served {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function serve(): Promise<Served> {
  const { child, match, stderr } = await startCli(['replay', FIXTURE, '--serve', '127.0.0.1:0'], /on 127\.0\.0\.1:(\d+)\n/, NO_TIMEOUT);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('close', (code, signal) => resolve(code ?? (signal ? -1 : null)));
  });
  return { child, port: Number(match[1]), stderr, exited };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Peak resident memory of a process in bytes (Linux: VmHWM). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) * 1024;
}

/** Writes `total` bytes of `x` (no line end) in 64 KiB pieces, honouring backpressure. */
async function writeLongLine(socket: net.Socket, total: number, stopped: () => boolean = () => false): Promise<number> {
  const piece = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  while (sent < total && !stopped() && !socket.destroyed) {
    if (!socket.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => { socket.off('drain', done); socket.off('close', done); resolve(); };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
    sent += piece.length;
  }
  return sent;
}

test('a 64 MB line without CRLF is consumed in bounded memory; the next command is answered', async () => {
  const served = await serve();
  try {
    const socket = await connect(served.port);
    await readUntil(socket, (l) => l.startsWith('* OK'), NO_TIMEOUT);
    // A first (unmatched) command, so the baseline includes a warmed-up connection.
    socket.write('a9 NOOP\r\n');
    await readUntil(socket, tagged('a9'), NO_TIMEOUT);
    const before = peakRss(served.child.pid as number);
    await writeLongLine(socket, 64 * MB);
    socket.write('\r\na2 LIST "" "*"\r\n');
    const answer = await readUntil(socket, tagged('a2'), NO_TIMEOUT);
    // The long line is answered as unparsable, then the LIST gets its recorded answer.
    assert.deepEqual(answer.map((l) => l.replace(/ \(.*$/, '')), ['* BAD [imapdbg] not an IMAP command', '* LIST', 'a2 OK List completed']);
    const growth = peakRss(served.child.pid as number) - before;
    // The old replay held the whole line and a copy of it per chunk: 128 MB and more. The new one
    // keeps 1 MiB of it; what else shows here (about 35 MB, the same for 16 or 200 MB lines) is
    // read buffers the collector has not reclaimed yet. Less than the line itself: it is not held.
    assert.ok(growth < 64 * MB, `peak RSS grew by ${(growth / MB).toFixed(1)} MB for a 64 MB line`);
    // The notice quotes a bounded part of the line.
    assert.ok(served.stderr().length < 4096, `stderr has ${served.stderr().length} bytes`);
    socket.destroy();
  } finally {
    served.child.kill('SIGKILL');
  }
});

test('a flood of unparsable lines gives a bounded stderr, and the server keeps answering', async () => {
  const served = await serve();
  try {
    const socket = await connect(served.port);
    await readUntil(socket, (l) => l.startsWith('* OK'), NO_TIMEOUT);
    const lines = 100_000;
    socket.write(Buffer.from('x\r\n'.repeat(lines)));
    socket.write('a2 LIST "" "*"\r\n');
    const answer = await readUntil(socket, tagged('a2'), NO_TIMEOUT);
    assert.equal(answer.filter((l) => l.startsWith('* BAD [imapdbg]')).length, lines);
    assert.equal(answer[answer.length - 1].replace(/ \(.*$/, ''), 'a2 OK List completed');
    socket.destroy();
    await new Promise((resolve) => socket.once('close', resolve));
    // The old replay wrote one stderr line per bad line (about 5 MB here).
    served.child.kill('SIGINT');
    await served.exited;
    const err = served.stderr();
    assert.ok(err.length < 16 * 1024, `stderr has ${err.length} bytes`);
    assert.match(err, new RegExp(`#1 ${lines - 10} more unmatched lines not shown`));
  } finally {
    served.child.kill('SIGKILL');
  }
});

test('SIGINT during a long line ends the process', async () => {
  const served = await serve();
  const socket = await connect(served.port);
  socket.on('error', () => undefined);
  await readUntil(socket, (l) => l.startsWith('* OK'), NO_TIMEOUT);
  let exited = false;
  void served.exited.then(() => { exited = true; });
  // Keep a long line coming (up to 1 GB) while Ctrl-C arrives once the server has taken 32 MB.
  const writing = writeLongLine(socket, 1024 * MB, () => exited);
  await writeUntilTaken(socket, 32 * MB);
  served.child.kill('SIGINT');
  const code = await served.exited;
  socket.destroy();
  await writing;
  assert.equal(code, 0, served.stderr());
});

/** Resolves once the socket has handed `bytes` to the kernel (the server is reading them). */
async function writeUntilTaken(socket: net.Socket, bytes: number): Promise<void> {
  while (socket.bytesWritten - socket.writableLength < bytes) await new Promise((resolve) => setImmediate(resolve));
}
