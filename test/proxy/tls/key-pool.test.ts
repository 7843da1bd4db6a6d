import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { generateRsaKey, KeyPool, RsaKeyPem } from '../../../src/proxy/tls/key-pool';

/** Fake generator: instant, numbered keys, counts calls and max concurrency. */
function fakeGenerator(): { gen: () => Promise<RsaKeyPem>; calls: () => number; maxParallel: () => number } {
  let calls = 0;
  let running = 0;
  let max = 0;
  const gen = async (): Promise<RsaKeyPem> => {
    const n = ++calls;
    running++;
    max = Math.max(max, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return { privateKeyPem: `key${n}`, publicKeyPem: `pub${n}` };
  };
  return { gen, calls: () => calls, maxParallel: () => max };
}

test('generateRsaKey makes a 2048-bit RSA key in PKCS#8 PEM', async () => {
  const k = await generateRsaKey();
  assert.match(k.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(k.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  assert.equal(createPrivateKey(k.privateKeyPem).asymmetricKeyDetails?.modulusLength, 2048);
});

test('the pool fills sequentially in the background and hands out distinct keys', async () => {
  const f = fakeGenerator();
  const pool = new KeyPool({ size: 3, generate: f.gen });
  await pool.whenFull();
  assert.equal(pool.available, 3);
  assert.equal(f.maxParallel(), 1, 'background refill does not flood the threadpool');
  const a = await pool.take();
  const b = await pool.take();
  assert.notEqual(a.privateKeyPem, b.privateKeyPem);
  await pool.whenFull();
  assert.equal(pool.available, 3, 'refilled after take');
  pool.close();
  assert.equal(pool.available, 0);
});

test('an empty pool generates on demand, in parallel for a burst', async () => {
  const f = fakeGenerator();
  const pool = new KeyPool({ size: 0, generate: f.gen });
  const keys = await Promise.all([pool.take(), pool.take(), pool.take()]);
  assert.equal(new Set(keys.map((k) => k.privateKeyPem)).size, 3);
  assert.equal(f.maxParallel(), 3);
  assert.equal(pool.available, 0);
});

test('close stops refilling; whenFull does not hang on failure', async () => {
  const pool = new KeyPool({ size: 2, generate: () => Promise.reject(new Error('boom')) });
  await pool.whenFull(); // resolves although nothing could be generated
  await assert.rejects(pool.take(), /boom/);
  pool.close();
  await pool.whenFull();
});
