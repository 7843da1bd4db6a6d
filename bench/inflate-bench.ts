/**
 * Inflate speed of the COMPRESS=DEFLATE decoders, in MB/s of inflated output, same input for each:
 *
 *   npx tsc -p tsconfig.json && ROUNDS=3 node dist/bench/inflate-bench.js [all|hand|fflate|hand-sliced|fflate-sliced]
 *
 * Inputs: IMAP-like FETCH text (default level), random bytes in stored blocks, and a bomb (zeros at
 * level 9), each deflated once with node:zlib (sync flush every 64 KiB, as peers flush per message)
 * and fed in 16 KiB wire chunks (PIECE=N to change). Each decoder runs alone in a fresh process for a clean heap.
 */
import { execFileSync } from 'node:child_process';
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { RawInflater } from '../src/proxy/raw-inflater';
import { Inflate } from 'fflate';

/**
 * hand / fflate: each 16 KiB wire chunk inflated whole (one `write` / `push`), as before the bound.
 * hand-sliced: as the proxy now does, `feed` then `inflate(1 MiB)` until done (bounded work per call).
 * fflate-sliced: fflate cannot stop at an output budget, so the only bound is its input: 1 KiB pieces
 * (DEFLATE expands at most 1032:1, so at most ~1 MiB per push).
 */
type Kind = 'hand' | 'fflate' | 'hand-sliced' | 'fflate-sliced';
const KINDS: Kind[] = ['hand', 'fflate', 'hand-sliced', 'fflate-sliced'];

/** One DEFLATE stream with a sync flush every 64 KiB, as a COMPRESS peer flushes after each message. */
async function deflateFlushed(plain: Buffer, level: number): Promise<Buffer> {
  const z = createDeflateRaw({ level });
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  for (let i = 0; i < plain.length; i += 65536) {
    z.write(plain.subarray(i, i + 65536));
    await new Promise<void>((resolve) => z.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  }
  return Buffer.concat(out);
}

async function inputs(): Promise<Array<{ name: string; plain: number; wire: Buffer }>> {
  const lines: string[] = [];
  for (let i = 0; lines.length < 600_000; i++) lines.push(`* ${i + 1} FETCH (UID ${1000 + i} FLAGS (\\Seen) RFC822.SIZE ${i * 37 % 9000} ENVELOPE ("Mon, 1 Dec 2026" "subject ${i % 977}"))\r\n`);
  const text = Buffer.from(lines.join(''), 'latin1');
  const random = Buffer.alloc(64 * 1024 * 1024);
  for (let i = 0; i < random.length; i += 4) random.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  const zeros = Buffer.alloc(256 * 1024 * 1024);
  return [
    { name: 'imap text', plain: text.length, wire: await deflateFlushed(text, 6) },
    { name: 'stored (level 0)', plain: random.length, wire: await deflateFlushed(random, 0) },
    { name: 'bomb (zeros, level 9)', plain: zeros.length, wire: deflateRawSync(zeros, { level: 9 }) },
  ];
}

function run(kind: Kind, wire: Buffer): { out: number; ms: number } {
  let out = 0;
  const chunk = Number(process.env.PIECE ?? 16384);
  const onData = (b: Uint8Array): void => { out += b.length; };
  const t0 = performance.now();
  if (kind === 'hand' || kind === 'hand-sliced') {
    const inf = new RawInflater(onData);
    for (let i = 0; i < wire.length; i += chunk) {
      if (kind === 'hand') inf.write(wire.subarray(i, i + chunk));
      else {
        inf.feed(wire.subarray(i, i + chunk));
        while (!inf.inflate(1024 * 1024));
      }
    }
  } else {
    const inf = new Inflate(onData);
    const piece = kind === 'fflate' ? chunk : 1024;
    for (let i = 0; i < wire.length; i += piece) inf.push(wire.subarray(i, i + piece));
  }
  return { out, ms: performance.now() - t0 };
}

const arg = process.argv[2] ?? 'all';
const ROUNDS = Number(process.env.ROUNDS ?? 3);
if (arg === 'all') {
  // Interleaved rounds, best of each: on a shared machine the noise then hits every decoder alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of KINDS) execFileSync(process.execPath, [__filename, kind], { stdio: 'inherit' });
  }
} else {
  void measureOne(arg as Kind);
}

async function measureOne(kind: Kind): Promise<void> {
  for (const input of await inputs()) {
    const best = [0, 1, 2].map(() => run(kind, input.wire)).sort((a, b) => a.ms - b.ms)[0];
    if (best.out !== input.plain) throw new Error(`${kind} ${input.name}: ${best.out} != ${input.plain}`);
    const mbs = best.out / 1e6 / (best.ms / 1000);
    console.log(`${kind.padEnd(14)} ${input.name.padEnd(22)} wire ${(input.wire.length / 1e6).toFixed(2)} MB -> ${(best.out / 1e6).toFixed(1)} MB  ${best.ms.toFixed(0)} ms  ${mbs.toFixed(0)} MB/s`);
  }
}
