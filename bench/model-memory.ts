/**
 * Memory of the proxy under the two growth cases of issue 9 (items 6 and 7), for the report:
 *   node dist/bench/model-memory.js --bin bin/imapdbg [--noops 2000000] [--verbs 1000000] [--sessions 3]
 * A: one client pipelines N NOOPs to a server that never answers.
 * B: S sessions one after the other, each sending M distinct command names, every one answered BAD.
 * Prints the proxy's peak RSS (VmHWM) and its RSS once the sessions have closed. stdout of the
 * proxy (headless lines) goes to /dev/null, so the headless pipe (item 8) is not what is measured.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const BIN = arg('bin', 'bin/imapdbg');
const NOOPS = Number(arg('noops', '2000000'));
const VERBS = Number(arg('verbs', '1000000'));
const SESSIONS = Number(arg('sessions', '3'));

function mib(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** A server that greets and then either never answers or answers each line `tag BAD`. */
async function server(answer: boolean): Promise<{ port: number; received: () => number; close(): void }> {
  let total = 0;
  const srv = net.createServer((s) => {
    s.on('error', () => undefined);
    s.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    let rest = '';
    s.on('data', (d: Buffer) => {
      total += d.length;
      if (!answer) return;
      const text = rest + d.toString('latin1');
      const lines = text.split('\r\n');
      rest = lines.pop() ?? '';
      s.write(lines.map((l) => `${l.split(' ')[0]} BAD unknown command\r\n`).join(''));
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, received: () => total, close: () => srv.close() };
}

async function proxy(upstream: number): Promise<{ pid: number; port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream}`, '--headless'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on [^ ]*:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(err)));
  });
  return { pid: child.pid as number, port, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

/** One client session: greeting, then `lines(i)` for i in 1..n with backpressure, then wait for `done`, then close. */
async function session(port: number, n: number, line: (i: number) => string, done: () => boolean): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('data', () => r()));
  sock.on('data', () => undefined);
  const batch = 10_000;
  for (let i = 1; i <= n; i += batch) {
    let text = '';
    for (let j = i; j < Math.min(n + 1, i + batch); j += 1) text += line(j);
    if (!sock.write(text)) await new Promise((r) => sock.once('drain', r));
  }
  while (!done()) await new Promise((r) => setTimeout(r, 100));
  await new Promise<void>((r) => { sock.once('close', () => r()); sock.end(); });
}

async function main(): Promise<void> {
  {
    const srv = await server(false);
    const p = await proxy(srv.port);
    const bytes = Array.from({ length: 1 }, () => 0);
    let expected = 0;
    for (let i = 1; i <= NOOPS; i += 1) expected += `n${i} NOOP\r\n`.length;
    bytes[0] = expected;
    await session(p.port, NOOPS, (i) => `n${i} NOOP\r\n`, () => srv.received() >= expected);
    await new Promise((r) => setTimeout(r, 1000));
    console.log(`A ${NOOPS} unanswered NOOPs: peak RSS ${mib(p.pid, 'VmHWM')} MiB, RSS after close ${mib(p.pid, 'VmRSS')} MiB`);
    await p.stop();
    srv.close();
  }
  {
    const srv = await server(true);
    const p = await proxy(srv.port);
    let expected = 0;
    for (let s = 0; s < SESSIONS; s += 1) {
      for (let i = 1; i <= VERBS; i += 1) expected += `t${i} V${s}X${i}\r\n`.length;
      const want = expected;
      await session(p.port, VERBS, (i) => `t${i} V${s}X${i}\r\n`, () => srv.received() >= want);
    }
    await new Promise((r) => setTimeout(r, 1000));
    console.log(`B ${SESSIONS} sessions x ${VERBS} distinct verbs (answered BAD): peak RSS ${mib(p.pid, 'VmHWM')} MiB, RSS after the sessions closed ${mib(p.pid, 'VmRSS')} MiB`);
    await p.stop();
    srv.close();
  }
}

void main();
