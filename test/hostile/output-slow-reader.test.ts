// Issue 9 item 8: headless output into a pipe nobody reads. Forwarding must go on (the client gets
// every byte), the printer's queue stays bounded, and dropped lines are counted in a notice once
// the pipe drains. The real bin/imapdbg with its stdout a pipe this test does not read until the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { BIN } from '../harness/imapdbg-process';
import { onLines } from './terminal-hazards';

/** 50 MB of server lines, each a frame and so a headless line. */
const LINES = 500_000;
const LINE = (i: number): string => `* ${i} FETCH (FLAGS (\\Seen) UID ${i} X-PAD "${'x'.repeat(60)}")\r\n`;

test('stdout a pipe nobody reads: forwarding goes on, output is dropped with a counted notice', async () => {
  const sent = createHash('sha256');
  let sentBytes = 0;
  const server = net.createServer((socket) => {
    socket.write('* OK ready\r\n');
    onLines(socket, (line) => {
      const tag = line.split(' ')[0];
      if (!line.includes('FETCH')) { socket.end(`${tag} OK bye\r\n`); return; }
      // Written with backpressure, so the server holds no more than a socket buffer.
      let i = 1;
      const pump = (): void => {
        while (i <= LINES) {
          const chunk = Buffer.from(Array.from({ length: 1000 }, (_, k) => LINE(i + k)).join(''), 'latin1');
          i += 1000;
          sent.update(chunk);
          sentBytes += chunk.length;
          if (!socket.write(chunk)) { socket.once('drain', pump); return; }
        }
        socket.write(`${tag} OK done\r\n`);
      };
      pump();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream = (server.address() as net.AddressInfo).port;
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream}`, '--headless'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  // stdout is not read: nothing consumes the pipe, so it fills and stays full.
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on [^ ]*:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    void closed.then((code) => reject(new Error(`imapdbg exited with ${code}: ${err}`)));
  });
  const received = createHash('sha256');
  let receivedBytes = 0;
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    let greeted = false;
    let tail = '';
    client.on('data', (d: Buffer) => {
      if (!greeted) {
        greeted = true;
        client.write('a1 FETCH 1:* (FLAGS UID)\r\n');
        d = d.subarray(d.indexOf('\n') + 1);
      }
      received.update(d);
      receivedBytes += d.length;
      tail = (tail + d.toString('latin1')).slice(-64);
      if (tail.endsWith('a1 OK done\r\n')) resolve();
    });
    client.on('error', reject);
    client.on('close', () => reject(new Error(`connection closed after ${receivedBytes} bytes`)));
  });
  client.removeAllListeners('close');
  client.destroy();
  server.close();
  // Every byte the server sent reached the client, while the printer could not write.
  assert.equal(receivedBytes, sentBytes + 'a1 OK done\r\n'.length);
  sent.update('a1 OK done\r\n');
  assert.equal(received.digest('hex'), sent.digest('hex'));
  child.kill('SIGTERM');
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  assert.equal(await closed, 0, err);
  const notices = [...out.matchAll(/imapdbg: (\d+) lines not shown \(output too slow\)/g)].map((m) => Number(m[1]));
  assert.ok(notices.length > 0, `no "lines not shown" notice in ${out.length} chars of output`);
  const shown = out.split('\n').filter((l) => / S: \* \d+ FETCH/.test(l)).length;
  // Every FETCH line is shown or counted; the count also takes in the few other lines dropped
  // with them (the tagged OK, the session's end).
  const counted = shown + notices.reduce((a, b) => a + b, 0);
  assert.ok(counted >= LINES && counted <= LINES + 3, `${shown} shown + ${counted - shown} counted for ${LINES} FETCH lines`);
});
