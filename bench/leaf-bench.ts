/**
 * Benchmark for the TLS interception certificate path.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/leaf-bench.js [N] [--quick]
 *
 * N (default 20) is the sample count for signing and leaf timings; keygen uses 5.
 * --quick skips node-forge's pure-JavaScript keygen (seconds per key).
 * "loop block" is the longest event-loop stall seen while the step ran: what
 * every other proxied session would feel as added latency.
 */
import { createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import forge from 'node-forge';
import { generateCa, initCa, randomSerialHex, signCertificate } from '../src/proxy/tls/ca-store';
import { generateRsaKey, KeyPool } from '../src/proxy/tls/key-pool';
import { LeafFactory } from '../src/proxy/tls/leaf-factory';

// forge's global options object is missing from its typings.
const forgeOptions = (forge as typeof forge & { options: { usePureJavaScript: boolean } }).options;
const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const QUICK = args.includes('--quick');

interface Result {
  median: number;
  min: number;
  max: number;
  loopBlock: number;
}

/** Runs fn n times sequentially; returns median/min/max ms and the worst event-loop stall. */
async function measure(n: number, fn: (i: number) => unknown): Promise<Result> {
  const times: number[] = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
    // Yield so the delay monitor gets to observe stalls caused by sync work.
    await new Promise((r) => setImmediate(r));
  }
  h.disable();
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(n / 2)], min: times[0], max: times[n - 1], loopBlock: h.max / 1e6 };
}

function report(label: string, n: number, r: Result): void {
  const f = (x: number): string => x.toFixed(x < 10 ? 2 : 1).padStart(8);
  console.log(`${label.padEnd(46)} median ${f(r.median)} ms  min ${f(r.min)}  max ${f(r.max)}  loop block ${f(r.loopBlock)} ms  (n=${n})`);
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-bench-'));
  try {
    console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}\n`);

    report('CA creation (keygen + self-sign)', 3, await measure(3, () => generateCa()));

    console.log('\nRSA-2048 key generation:');
    report('node-forge rsa.generateKeyPair (default)', 5, await measure(5, () => forge.pki.rsa.generateKeyPair(2048)));
    if (!QUICK) {
      forgeOptions.usePureJavaScript = true;
      report('node-forge rsa.generateKeyPair (pure JS)', 5, await measure(5, () => forge.pki.rsa.generateKeyPair(2048)));
      forgeOptions.usePureJavaScript = false;
    }
    report('node crypto.generateKeyPair (async) + to forge', 5, await measure(5, async () => {
      forge.pki.publicKeyFromPem((await generateRsaKey()).publicKeyPem);
    }));
    const par = await measure(5, () => Promise.all([1, 2, 3, 4].map(() => generateRsaKey())));
    report('node crypto, 4 keys in parallel (per batch)', 5, par);

    console.log('\nSigning one leaf (forge builds TBS, then):');
    const key = await generateRsaKey();
    const forgeKey = forge.pki.privateKeyFromPem(key.privateKeyPem);
    const nativeKey = createPrivateKey(key.privateKeyPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(key.publicKeyPem);
    cert.serialNumber = randomSerialHex();
    cert.setSubject([{ name: 'commonName', value: 'bench.test' }]);
    cert.setIssuer([{ name: 'commonName', value: 'bench CA' }]);
    report('node-forge cert.sign (pure-JS RSA)', N, await measure(N, () => cert.sign(forgeKey, forge.md.sha256.create())));
    report('native crypto.sign (signCertificate)', N, await measure(N, () => signCertificate(cert, nativeKey)));

    console.log('\nLeafFactory.getLeaf:');
    const ca = await initCa(path.join(tmp, 'ca'));
    const cold = new LeafFactory(ca, { poolSize: 0 });
    report('cold: new host, key generated on demand', N, await measure(N, (i) => cold.getLeaf({ sni: `cold${i}.bench.test` })));

    const pool = new KeyPool({ size: N });
    await pool.whenFull();
    const pooled = new LeafFactory(ca, { keyPool: pool });
    report('pooled: new host, pre-generated key', N, await measure(N, (i) => pooled.getLeaf({ sni: `pooled${i}.bench.test` })));
    pool.close();

    report('cached: same host again (memory)', N, await measure(N, () => pooled.getLeaf({ sni: 'pooled0.bench.test' })));

    const cacheDir = path.join(tmp, 'leaves');
    await new LeafFactory(ca, { cacheDir, poolSize: 0 }).getLeaf({ sni: 'disk.bench.test' });
    report('cached: after restart (disk, verified)', N, await measure(N, () =>
      new LeafFactory(ca, { cacheDir, poolSize: 0 }).getLeaf({ sni: 'disk.bench.test' })));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
