/**
 * Socket leak measure (issue 9 item 1): N connect-and-close probes against a real `imapdbg proxy`,
 * then the proxy's open file descriptors (/proc/PID/fd) and the upstream connections the fake
 * server saw accepted and closed, then SIGINT and the exit status.
 *
 *   node dist/bench/probe-leak.js [--bin bin/imapdbg] [--mode tls-fin|tls-plain|starttls-fin] [--probes 500]
 *
 * Modes: tls-fin: `--tls`, the client connects and closes at once (FIN during the handshake);
 * tls-plain: `--tls`, the client speaks plain IMAP (the handshake fails);
 * starttls-fin: STARTTLS intercepted, the client closes right after `OK Begin TLS`.
 * The settle wait is bounded by a number of polls, so an old tree that leaks still ends.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCountingUpstream } from '../test/harness/counting-upstream';

const args = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1] ?? fallback;
}
const BIN = path.resolve(arg('--bin', path.join(__dirname, '../../bin/imapdbg')));
const MODE = arg('--mode', 'tls-fin');
const PROBES = Number(arg('--probes', '500'));
const CONCURRENCY = 25;
const SETTLE_POLLS = 50;
const POLL_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fds = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;

/** One probe; resolves when the client socket is closed (or after a bound, counted as hung). */
function probe(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    const done = (): void => { clearTimeout(bound); resolve(); };
    const bound = setTimeout(() => { socket.destroy(); done(); }, 5_000);
    socket.once('close', done);
    if (MODE === 'tls-fin') { socket.once('connect', () => socket.end()); return; }
    if (MODE === 'tls-plain') { socket.once('connect', () => socket.end('a1 NOOP\r\n')); socket.resume(); return; }
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      if (text.includes('\r\n') && !text.includes('a STARTTLS sent')) { text += 'a STARTTLS sent'; socket.write('a STARTTLS\r\n'); }
      if (/a OK Begin TLS\r\n/.test(text)) socket.end();
    });
  });
}

async function main(): Promise<void> {
  const upstream = await startCountingUpstream();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-probe-leak-'));
  // A CA of its own in every mode: STARTTLS interception creates one on first use.
  const tlsArgs = [...(MODE.startsWith('tls') ? ['--tls'] : []), '--ca-dir', path.join(dir, 'ca')];
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream.port}`,
    '--headless', '--idle-timeout', '3600', ...tlsArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on [^ ]*:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`imapdbg exited with ${code}: ${stderr}`)));
  });
  const pid = child.pid ?? 0;
  const before = fds(pid);
  for (let i = 0; i < PROBES; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, PROBES - i) }, () => probe(port)));
  }
  const afterProbes = fds(pid);
  let settled = afterProbes;
  for (let poll = 0; poll < SETTLE_POLLS && (settled > before + 1 || upstream.open > 0) && child.exitCode === null; poll++) {
    await sleep(POLL_MS);
    settled = fds(pid);
  }
  const upstreamAfter = { accepted: upstream.accepted, closed: upstream.closed };
  const alive = child.exitCode === null;
  child.kill('SIGINT');
  const code = await Promise.race([exited, sleep(10_000).then(() => 'no exit within 10 s')]);
  if (child.exitCode === null) child.kill('SIGKILL');
  await upstream.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ bin: BIN, mode: MODE, probes: PROBES, fds: { before, afterProbes, afterSettle: settled },
    upstream: upstreamAfter, aliveAfterProbes: alive, sigintExit: code,
    crashed: /Unhandled|Error:/.test(stderr) ? stderr.split('\n').find((l) => /Error/.test(l)) : false })}\n`);
}

void main();
