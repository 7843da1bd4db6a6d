// Bounds of leaf issuing against a client that presents many or crafted SNI names: the disk cache
// keeps at most maxCacheFiles files, leaves are made one at a time with a bounded queue, an empty
// key pool reuses its last key instead of one RSA generation per name, and an SNI that is no plain
// host name never becomes a certificate name.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initCa, type CaMaterial } from '../../../src/proxy/tls/ca-store';
import { generateRsaKey, KeyPool, type RsaKeyPem } from '../../../src/proxy/tls/key-pool';
import { LeafFactory, normalizeLeafNames, normalizeSni } from '../../../src/proxy/tls/leaf-factory';

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-leafb-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let ca: CaMaterial;
let key: RsaKeyPem;
before(async () => {
  ca = await initCa(path.join(tempDir(), 'ca'));
  key = await generateRsaKey();
});

/** A generator handing out the one real key, counting calls and concurrency. */
function countingGenerator(): { gen: () => Promise<RsaKeyPem>; calls: () => number; maxParallel: () => number } {
  let calls = 0;
  let running = 0;
  let max = 0;
  const gen = async (): Promise<RsaKeyPem> => {
    calls++;
    running++;
    max = Math.max(max, running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    return key;
  };
  return { gen, calls: () => calls, maxParallel: () => max };
}

test('the disk cache keeps at most maxCacheFiles leaves after 300 distinct names, evicting the least recently used', async () => {
  const cacheDir = path.join(tempDir(), 'leaves');
  const pool = new KeyPool({ size: 1, generate: async () => key });
  const factory = new LeafFactory(ca, { keyPool: pool, cacheDir });
  for (let i = 0; i < 300; i++) await factory.getLeaf({ sni: `host${i}.storm.test` });
  const files = fs.readdirSync(cacheDir);
  assert.ok(files.length <= 256, `${files.length} files in the leaf cache (default bound 256)`);
  assert.ok(files.length >= 250, 'the cache is used up to its bound');
  // A second factory (a restart) finds the newest leaves on disk, not the oldest.
  const again = new LeafFactory(ca, { keyPool: pool, cacheDir, maxCacheFiles: 256 });
  await again.getLeaf({ sni: 'host299.storm.test' });
  assert.equal(again.stats.diskHits, 1);
  await again.getLeaf({ sni: 'host0.storm.test' });
  assert.equal(again.stats.generated, 1, 'the oldest leaf was evicted');
  assert.ok(fs.readdirSync(cacheDir).length <= 256);
  factory.close();
  again.close();
  pool.close();
});

test('an explicit maxCacheFiles bound holds too', async () => {
  const cacheDir = path.join(tempDir(), 'leaves');
  const pool = new KeyPool({ size: 1, generate: async () => key });
  const factory = new LeafFactory(ca, { keyPool: pool, cacheDir, maxCacheFiles: 10, maxEntries: 5 });
  for (let i = 0; i < 40; i++) await factory.getLeaf({ sni: `h${i}.test` });
  assert.equal(fs.readdirSync(cacheDir).length, 10);
  factory.close();
  pool.close();
});

test('new leaves are made one at a time; beyond maxWaiting distinct names a request is refused at once', async () => {
  const g = countingGenerator();
  // size 0: every leaf generates its own key, so the generator sees how many leaves run at once.
  const pool = new KeyPool({ size: 0, generate: g.gen });
  const factory = new LeafFactory(ca, { keyPool: pool, maxWaiting: 5 });
  const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => factory.getLeaf({ sni: `burst${i}.test` })));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.equal(results.length - refused.length, 5);
  for (const r of refused) assert.match(String((r as PromiseRejectedResult).reason), /other new host names are waiting/);
  assert.equal(g.maxParallel(), 1, 'one leaf at a time');
  // The queue drained: new names are accepted again, and known ones never queue.
  await factory.getLeaf({ sni: 'later.test' });
  await factory.getLeaf({ sni: 'burst0.test' });
  assert.equal(factory.stats.memoryHits, 1);
  factory.close();
});

test('an empty key pool hands out its last key again instead of generating one per new host', async () => {
  const g = countingGenerator();
  const pool = new KeyPool({ size: 2, generate: g.gen });
  await pool.whenFull();
  const keys = await Promise.all(Array.from({ length: 20 }, () => pool.take()));
  assert.equal(keys.length, 20);
  assert.ok(g.calls() <= 2 + 2, `${g.calls()} keys generated for 20 takes`);
  assert.equal(g.maxParallel(), 1, 'no burst of parallel RSA generations');
  pool.close();
});

test('an SNI that is not a plain host name never becomes a certificate name', async () => {
  const bad = [
    'a'.repeat(64) + '.test', // label over 63
    `${'abcdefghi.'.repeat(26)}test`, // 264 characters
    'x'.repeat(1_000_000),
    '*.example.test',
    '10.1.2.3',
    '::1',
    'evil\u001b]0;title\u0007.test',
    'two words.test',
    'a/../b.test',
    '',
  ];
  const pool = new KeyPool({ size: 1, generate: async () => key });
  const factory = new LeafFactory(ca, { keyPool: pool });
  for (const sni of bad) {
    const leaf = await factory.getLeaf({ sni, upstreamHost: 'imap.test' });
    assert.deepEqual(leaf.names, ['imap.test'], JSON.stringify(sni.slice(0, 40)));
    assert.equal(new X509Certificate(leaf.certPem).subjectAltName, 'DNS:imap.test');
  }
  assert.equal(factory.stats.generated, 1, 'all fall back to the one leaf without the SNI');
  factory.close();
  pool.close();
  for (const sni of bad) assert.equal(normalizeSni(sni), undefined, JSON.stringify(sni.slice(0, 40)));
  assert.equal(normalizeSni('IMAP.Example.TEST.'), 'imap.example.test');
  assert.equal(normalizeSni(`${'a'.repeat(63)}.test`), `${'a'.repeat(63)}.test`);
  assert.deepEqual(normalizeLeafNames({ sni: '*.example.test', upstreamHost: 'imap.test' }), ['imap.test']);
});
