#!/usr/bin/env node
'use strict';
// Measures `imapdbg replay --serve` on a line without CRLF: for each size, a fresh server on
// fixtures/login-literal.imapcap gets SIZE MB of `x`, then CRLF and `a2 LIST "" "*"`; prints the wall
// time and server CPU until the LIST is answered, the server's peak RSS, its stderr bytes, and
// whether SIGINT sent in the middle of a further long line ends it.
// Usage: node scripts/measure-replay-long-line.js [--bin PATH/bin/imapdbg] [--give-up SECONDS] [MB ...]
// (default: this repository's bin, 16 64 200 MB, give up after 150 s per size)
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const args = process.argv.slice(2);
let bin = path.join(__dirname, '..', 'bin', 'imapdbg');
let giveUpS = 150;
const sizes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--bin') bin = path.resolve(args[++i]);
  else if (args[i] === '--give-up') giveUpS = Number(args[++i]);
  else sizes.push(Number(args[i]));
}
if (sizes.length === 0) sizes.push(16, 64, 200);
const fixture = path.join(__dirname, '..', 'fixtures', 'login-literal.imapcap');
const MB = 1024 * 1024;
const TICKS = 100; // USER_HZ on Linux

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}
function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'replay', fixture, '--serve', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderrBytes = 0;
    let head = '';
    const exited = new Promise((r) => child.once('exit', () => r()));
    child.stderr.on('data', (d) => {
      stderrBytes += d.length;
      if (head.length < 4096) {
        head += d.toString('latin1');
        const m = /on 127\.0\.0\.1:(\d+)\n/.exec(head);
        if (m) resolve({ child, port: Number(m[1]), stderrBytes: () => stderrBytes, exited });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${head}`)));
  });
}

/** Writes `total` bytes of x; stops early when `stop()` says so. Resolves with the bytes written. */
async function writeX(socket, total, stop = () => false) {
  const piece = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  while (sent < total && !stop() && !socket.destroyed) {
    if (!socket.write(piece)) {
      await new Promise((r) => { const done = () => { socket.off('drain', done); socket.off('close', done); r(); }; socket.on('drain', done); socket.on('close', done); });
    }
    sent += piece.length;
  }
  return sent;
}

function waitFor(socket, pattern, deadline) {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => { socket.off('data', onData); resolve(false); }, Math.max(0, deadline - Date.now()));
    const onData = (d) => {
      text = (text + d.toString('latin1')).slice(-4096);
      if (pattern.test(text)) { clearTimeout(timer); socket.off('data', onData); resolve(true); }
    };
    socket.on('data', onData);
  });
}

async function measure(sizeMb) {
  const server = await startServer();
  const pid = server.child.pid;
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await waitFor(socket, /\* OK/, Date.now() + 30_000);
  const cpu0 = cpuSeconds(pid);
  const t0 = Date.now();
  const deadline = t0 + giveUpS * 1000;
  const answered = waitFor(socket, /\na2 OK/, deadline);
  await writeX(socket, sizeMb * MB, () => Date.now() > deadline);
  socket.write('\r\na2 LIST "" "*"\r\n');
  const ok = await answered;
  const wallS = (Date.now() - t0) / 1000;
  const cpuS = cpuSeconds(pid) - cpu0;
  const rss = peakRssMb(pid);
  // SIGINT in the middle of another long line: does the server stop?
  let exited = false;
  void server.exited.then(() => { exited = true; });
  const writing = writeX(socket, 1024 * MB, () => exited || Date.now() > deadline + 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  server.child.kill('SIGINT');
  const stopped = await Promise.race([server.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 30_000))]);
  socket.destroy();
  await writing;
  if (!stopped) server.child.kill('SIGKILL');
  await server.exited;
  const answer = ok ? `${wallS.toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU` : `not answered within ${giveUpS} s (${cpuS.toFixed(1)} s CPU)`;
  console.log(`${String(sizeMb).padStart(4)} MB line: ${answer}; peak RSS ${rss.toFixed(0)} MB; stderr ${server.stderrBytes()} bytes; SIGINT mid-line: ${stopped ? 'exited' : 'still running after 30 s (killed)'}`);
}

(async () => {
  console.log(`bin: ${bin}`);
  for (const size of sizes) await measure(size);
})().catch((err) => { console.error(err); process.exit(1); });
