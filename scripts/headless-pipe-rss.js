#!/usr/bin/env node
'use strict';
// Peak RSS of `imapdbg proxy --headless` while a client downloads MB megabytes of small FETCH lines
// (one frame, so one headless line, per ~100 bytes), with stdout a pipe nobody reads, or a file.
// Usage: node scripts/headless-pipe-rss.js [BIN=bin/imapdbg] [MB=100] [pipe|file]
// Prints: "<mode> <MB> MB: peak RSS <n> MB, client got every byte: <bool>".
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const bin = path.resolve(process.argv[2] || 'bin/imapdbg');
const mb = Number(process.argv[3] || 100);
const mode = process.argv[4] || 'pipe';
const line = (i) => `* ${i} FETCH (FLAGS (\\Seen) UID ${i} X-PAD "${'x'.repeat(60)}")\r\n`;

async function main() {
  let sentBytes = 0;
  const total = mb * 1024 * 1024;
  const server = net.createServer((socket) => {
    socket.write('* OK ready\r\n');
    socket.once('data', () => {
      let i = 1;
      const pump = () => {
        while (sentBytes < total) {
          const chunk = Buffer.from(Array.from({ length: 1000 }, (_, k) => line(i + k)).join(''), 'latin1');
          i += 1000;
          sentBytes += chunk.length;
          if (!socket.write(chunk)) { socket.once('drain', pump); return; }
        }
        socket.write('a1 OK done\r\n');
      };
      pump();
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const outFile = path.join(os.tmpdir(), `imapdbg-rss-${process.pid}.out`);
  const stdout = mode === 'file' ? fs.openSync(outFile, 'w') : 'pipe';
  const child = spawn(process.execPath, [bin, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.address().port}`, '--headless'],
    { stdio: ['ignore', stdout, 'pipe'] });
  let err = '';
  const port = await new Promise((resolve) => child.stderr.setEncoding('utf8').on('data', (d) => {
    err += d;
    const m = /listening on [^ ]*:(\d+)/.exec(err);
    if (m) resolve(Number(m[1]));
  }));
  let received = 0;
  await new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let tail = '';
    c.once('data', () => c.write('a1 FETCH 1:* (FLAGS)\r\n'));
    c.on('data', (d) => {
      received += d.length;
      tail = (tail + d.toString('latin1')).slice(-32);
      if (tail.endsWith('a1 OK done\r\n')) { c.destroy(); resolve(); }
    });
  });
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  child.kill('SIGTERM');
  if (child.stdout) child.stdout.resume();
  await new Promise((r) => child.once('close', r));
  server.close();
  if (mode === 'file') fs.rmSync(outFile, { force: true });
  const ok = received === sentBytes + '* OK ready\r\n'.length + 'a1 OK done\r\n'.length;
  console.log(`${mode} ${mb} MB: peak RSS ${Math.round(Number(hwm[1]) / 1024)} MB, client got every byte: ${ok}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
