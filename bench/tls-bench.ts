/**
 * TLS interception costs: added handshake latency per connection (through imapdbg vs straight to
 * Dovecot's IMAPS port) and the throughput of a 512 MB literal through imapdbg with implicit TLS on
 * both legs, against a plain Node TLS pipe (terminate + re-originate, socket.pipe) in the same run.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/tls-bench.js [--connects N] [--literal-mb M] [--runs R]
 *
 * Every party is its own process: the fake TLS IMAP server, imapdbg (the real CLI) or the pipe,
 * and the measuring client (this process). Leaf creation times: node dist/bench/leaf-bench.js.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import { initCa } from '../src/proxy/tls/ca-store';
import { LeafFactory } from '../src/proxy/tls/leaf-factory';
import { startDovecot } from '../test/harness/dovecot';
import { cpuSeconds, spawnReady, type Child } from './proc';
import { streamBytes } from './stream-bytes';

const BIN = path.resolve(__dirname, '../../bin/imapdbg');
const args = process.argv.slice(2);
function arg(name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
}

// --- child roles -----------------------------------------------------------------------------

/** A TLS IMAP server that answers `FETCH` with one literal of `bytes` bytes, streamed with backpressure. */
function serveFake(keyFile: string, certFile: string, bytes: number): void {
  const chunk = Buffer.alloc(256 * 1024, 'Lorem ipsum dolor sit amet 0123456789\r\n');
  const server = tls.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (s) => {
    s.on('error', () => { /* clients leave mid-stream */ });
    s.write('* OK fake TLS IMAP ready\r\n');
    let pending = '';
    s.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      let eol: number;
      while ((eol = pending.indexOf('\r\n')) !== -1) {
        const [tag, verb] = pending.slice(0, eol).split(' ');
        pending = pending.slice(eol + 2);
        if (verb?.toUpperCase() === 'FETCH') {
          s.write(`* 1 FETCH (BODY[] {${bytes}}\r\n`);
          streamBytes(s, chunk, bytes, () => s.write(`)\r\n${tag} OK done\r\n`));
        } else if (verb?.toUpperCase() === 'LOGOUT') {
          s.end(`* BYE\r\n${tag} OK bye\r\n`);
        } else {
          s.write(`${tag} BAD\r\n`);
        }
      }
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
}

/** The reference: terminate TLS with the leaf, re-originate TLS to the server, pipe both ways. */
function servePipe(upstreamPort: number, caFile: string, keyFile: string, certFile: string): void {
  const ca = fs.readFileSync(caFile);
  const server = tls.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (client) => {
    const up = tls.connect({ host: '127.0.0.1', port: upstreamPort, ca, servername: 'localhost' });
    client.pipe(up);
    up.pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
}

// --- measurements ----------------------------------------------------------------------------

/** Time from connect to the greeting over TLS, ms. */
function timeToGreeting(port: number, ca: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    s.once('data', (d: Buffer) => {
      const ms = performance.now() - t0;
      s.destroy();
      if (d.toString('latin1').startsWith('* OK')) resolve(ms); else reject(new Error(`greeting: ${d.toString('latin1')}`));
    });
    s.once('error', reject);
  });
}

/** Fetch the literal once; returns MB/s of the literal (from the command to the tagged OK). */
function fetchOnce(port: number, ca: string | Buffer, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    let t0 = 0;
    let got = 0;
    let tail = '';
    s.on('data', (d: Buffer) => {
      if (t0 === 0) { t0 = performance.now(); s.write('a1 FETCH 1 BODY[]\r\n'); return; }
      got += d.length;
      tail = (tail + d.subarray(Math.max(0, d.length - 32)).toString('latin1')).slice(-32);
      if (tail.endsWith('a1 OK done\r\n')) {
        const s2 = (performance.now() - t0) / 1000;
        s.destroy();
        if (got < bytes) reject(new Error(`short fetch: ${got}`)); else resolve(bytes / 1e6 / s2);
      }
    });
    s.once('error', reject);
  });
}

function stats(xs: number[]): { median: number; p90: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))], min: s[0] };
}

async function imapdbg(args2: string[]): Promise<Child> {
  return spawnReady('imapdbg', process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--headless', ...args2],
    { announce: { stream: 'stderr', pattern: /listening on [^ ]*:(\d+)/ } });
}

async function main(): Promise<void> {
  const connects = arg('--connects', 50);
  const literalBytes = arg('--literal-mb', 512) * 1024 * 1024;
  const runs = arg('--runs', 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-tls-bench-'));
  const children: Child[] = [];
  const dovecot = await startDovecot();
  try {
    const caDir = path.join(dir, 'ca');
    const ca = await initCa(caDir);
    const leaves = new LeafFactory(ca, { poolSize: 1 });
    const leaf = await leaves.getLeaf({ upstreamSans: ['localhost', '127.0.0.1'] });
    leaves.close();
    const keyFile = path.join(dir, 'leaf-key.pem');
    const certFile = path.join(dir, 'leaf-cert.pem');
    fs.writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
    fs.writeFileSync(certFile, leaf.chainPem);
    console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ${os.platform()} ${os.release()}`);

    // Handshake latency: straight to Dovecot's IMAPS port, and through imapdbg (TLS both legs).
    const dovecotCa = fs.readFileSync(dovecot.certPath);
    const proxy = await imapdbg(['--upstream', `127.0.0.1:${dovecot.tlsPort}`, '--tls', '--upstream-tls', '--upstream-ca', dovecot.certPath, '--ca-dir', caDir]);
    children.push(proxy);
    for (let i = 0; i < 3; i++) { await timeToGreeting(dovecot.tlsPort, dovecotCa); await timeToGreeting(proxy.port, ca.certPem); } // warm-up: first leaf, JIT
    const direct: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < connects; i++) {
      direct.push(await timeToGreeting(dovecot.tlsPort, dovecotCa));
      through.push(await timeToGreeting(proxy.port, ca.certPem));
    }
    const d = stats(direct);
    const t = stats(through);
    console.log(`\nTime to greeting over TLS, ${connects} sequential connects each (ms): median / p90 / min`);
    console.log(`  direct to Dovecot IMAPS           ${d.median.toFixed(2)} / ${d.p90.toFixed(2)} / ${d.min.toFixed(2)}`);
    console.log(`  through imapdbg (TLS both legs)   ${t.median.toFixed(2)} / ${t.p90.toFixed(2)} / ${t.min.toFixed(2)}`);
    console.log(`  added by imapdbg (median)         ${(t.median - d.median).toFixed(2)}`);
    await proxy.stop();

    // Throughput of one literal: imapdbg vs a plain Node TLS pipe, alternating runs.
    const fake = await spawnReady('fake-tls-server', process.execPath, [__filename, '--serve-fake', keyFile, certFile, String(literalBytes)],
      { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
    children.push(fake);
    const viaProxy = await imapdbg(['--upstream', `127.0.0.1:${fake.port}`, '--tls', '--upstream-tls', '--upstream-ca', ca.certPath, '--ca-dir', caDir]);
    const viaPipe = await spawnReady('tls-pipe', process.execPath, [__filename, '--serve-pipe', String(fake.port), ca.certPath, keyFile, certFile],
      { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
    children.push(viaProxy, viaPipe);
    const rates: Record<string, number[]> = { direct: [], pipe: [], imapdbg: [] };
    const cpu: Record<string, number[]> = { pipe: [], imapdbg: [] };
    for (let r = 0; r < runs; r++) {
      rates.direct.push(await fetchOnce(fake.port, ca.certPem, literalBytes));
      for (const [name, child] of [['pipe', viaPipe], ['imapdbg', viaProxy]] as const) {
        const c0 = cpuSeconds(child.pid);
        rates[name].push(await fetchOnce(child.port, ca.certPem, literalBytes));
        cpu[name].push(cpuSeconds(child.pid) - c0);
      }
    }
    console.log(`\nOne ${literalBytes / 1024 / 1024} MB FETCH literal over TLS, ${runs} runs each (MB/s, median; CPU s of the middle process per run, median)`);
    console.log(`  direct to the fake TLS server     ${stats(rates.direct).median.toFixed(0)}`);
    console.log(`  Node TLS pipe (terminate+pipe)    ${stats(rates.pipe).median.toFixed(0)}   cpu ${stats(cpu.pipe).median.toFixed(2)} s`);
    console.log(`  imapdbg --tls --upstream-tls      ${stats(rates.imapdbg).median.toFixed(0)}   cpu ${stats(cpu.imapdbg).median.toFixed(2)} s`);
    console.log(`  imapdbg / pipe                    ${(stats(rates.imapdbg).median / stats(rates.pipe).median).toFixed(2)}`);
  } finally {
    for (const c of children) await c.stop();
    await dovecot.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--serve-fake') serveFake(args[1], args[2], Number(args[3]));
else if (args[0] === '--serve-pipe') servePipe(Number(args[1]), args[2], args[3], args[4]);
else void main().catch((err: Error) => { process.stderr.write(`tls-bench: ${err.stack ?? err.message}\n`); process.exit(1); });
