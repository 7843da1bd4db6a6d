import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { CaMaterial, initCa } from '../../../src/proxy/tls/ca-store';
import { generateRsaKey, KeyPool } from '../../../src/proxy/tls/key-pool';
import { LeafFactory, LeafMaterial, normalizeLeafNames, parseSubjectAltName } from '../../../src/proxy/tls/leaf-factory';

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-leaf-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const modeOf = (p: string): number => fs.statSync(p).mode & 0o777;

let ca: CaMaterial;
let factory: LeafFactory;
const factories: LeafFactory[] = [];
function newFactory(opts: ConstructorParameters<typeof LeafFactory>[1] = {}): LeafFactory {
  const f = new LeafFactory(ca, { poolSize: 1, ...opts });
  factories.push(f);
  return f;
}

before(async () => {
  ca = await initCa(path.join(tempDir(), 'ca'));
  factory = newFactory();
});
after(() => factories.forEach((f) => f.close()));

function verifies(leaf: LeafMaterial): X509Certificate {
  const x = new X509Certificate(leaf.certPem);
  assert.ok(x.verify(ca.x509.publicKey), 'signed by the CA');
  assert.ok(x.checkIssued(ca.x509), 'issuer matches CA subject');
  assert.equal(x.ca, false);
  return x;
}

/** `openssl verify` with strict X.509 checks and the TLS server purpose. */
function opensslVerify(leaf: LeafMaterial, check: string[] = []): { status: number | null; out: string } {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'leaf.pem'), leaf.certPem);
  const r = spawnSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', ...check,
    '-CAfile', ca.certPath, path.join(dir, 'leaf.pem')], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('name normalization: SNI first, then upstream host, SANs, de-duplicated', () => {
  assert.deepEqual(
    normalizeLeafNames({ sni: 'IMAP.Example.com.', upstreamHost: '10.0.0.5',
      upstreamSans: ['DNS:imap.example.com', 'IP Address:2001:DB8:0:0:0:0:0:1', 'email:x@y', '*.example.com'] }),
    ['imap.example.com', '10.0.0.5', '2001:db8::1', '*.example.com'],
  );
  assert.deepEqual(parseSubjectAltName('DNS:a.test, IP Address:127.0.0.1'), ['DNS:a.test', 'IP Address:127.0.0.1']);
});

test('leaf from SNI only: CN and SAN are the SNI', async () => {
  const leaf = await factory.getLeaf({ sni: 'mail.sni.test' });
  const x = verifies(leaf);
  assert.match(x.subject, /CN=mail\.sni\.test/);
  assert.equal(x.subjectAltName, 'DNS:mail.sni.test');
  assert.equal(x.checkHost('mail.sni.test'), 'mail.sni.test');
  assert.deepEqual(leaf.names, ['mail.sni.test']);
  assert.ok(leaf.chainPem.startsWith(leaf.certPem) && leaf.chainPem.endsWith(ca.certPem));
});

test('leaf from upstream host when there is no SNI, with SANs copied', async () => {
  const leaf = await factory.getLeaf({
    upstreamHost: 'imap.upstream.test',
    upstreamSans: parseSubjectAltName('DNS:imap.upstream.test, DNS:*.upstream.test, IP Address:192.0.2.7, IP Address:::1'),
  });
  const x = verifies(leaf);
  assert.match(x.subject, /CN=imap\.upstream\.test/);
  assert.equal(x.checkHost('imap.upstream.test'), 'imap.upstream.test');
  assert.equal(x.checkHost('other.upstream.test'), '*.upstream.test');
  assert.equal(x.checkIP('192.0.2.7'), '192.0.2.7');
  assert.equal(x.checkIP('::1'), '::1');
  assert.equal(x.checkHost('elsewhere.test'), undefined);
});

test('an IP host becomes an iPAddress SAN, not a dNSName', async () => {
  const leaf = await factory.getLeaf({ upstreamHost: '127.0.0.1' });
  const x = verifies(leaf);
  assert.equal(x.subjectAltName, 'IP Address:127.0.0.1');
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
});

test('leaf fields: SHA-256, extensions, validity within the CA', async () => {
  const leaf = await factory.getLeaf({ sni: 'fields.test' });
  const x = verifies(leaf);
  const text = spawnSync('openssl', ['x509', '-noout', '-text'], { input: leaf.certPem, encoding: 'utf8' }).stdout;
  assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
  assert.match(text, /Extended Key Usage:\s+TLS Web Server Authentication/);
  const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
  const ski = Buffer.from(ca.subjectKeyId, 'binary').toString('hex').toUpperCase().match(/../g)!.join(':');
  assert.equal(aki, ski, 'authorityKeyIdentifier = CA subjectKeyIdentifier');
  const day = 24 * 3600 * 1000;
  assert.ok(Math.abs(Date.now() - 2 * day - Date.parse(x.validFrom)) < 60_000, 'backdated 2 days');
  assert.ok(Math.abs(Date.parse(x.validTo) - Date.now() - 365 * day) < 60_000, '1 year');
  assert.ok(Date.parse(x.validTo) <= Date.parse(ca.x509.validTo));
});

test('openssl verify accepts the chain (strict, sslserver purpose, host and IP)', async () => {
  const leaf = await factory.getLeaf({ sni: 'localhost', upstreamSans: ['127.0.0.1'] });
  const ok = opensslVerify(leaf, ['-verify_hostname', 'localhost']);
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /: OK/);
  assert.equal(opensslVerify(leaf, ['-verify_ip', '127.0.0.1']).status, 0);
  assert.notEqual(opensslVerify(leaf, ['-verify_hostname', 'evil.test']).status, 0, 'wrong host is rejected');
});

async function handshake(leaf: LeafMaterial, connect: tls.ConnectionOptions): Promise<{ authorized: boolean; error?: Error }> {
  const server = tls.createServer({ key: leaf.keyPem, cert: leaf.chainPem }, (s) => s.end('* OK ready\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const sock = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, ...connect }, () => {
        resolve({ authorized: sock.authorized });
        sock.end();
      });
      sock.on('error', (error) => resolve({ authorized: false, error }));
    });
  } finally {
    server.close();
  }
}

test('real TLS handshake with a DNS name (servername) is authorized', async () => {
  const leaf = await factory.getLeaf({ sni: 'localhost' });
  const r = await handshake(leaf, { servername: 'localhost' });
  assert.equal(r.error, undefined);
  assert.equal(r.authorized, true);
});

test('real TLS handshake checking an IP identity is authorized', async () => {
  const leaf = await factory.getLeaf({ upstreamHost: '127.0.0.1' });
  let checked = false;
  const r = await handshake(leaf, {
    checkServerIdentity: (_host, cert) => {
      checked = true;
      return tls.checkServerIdentity('127.0.0.1', cert);
    },
  });
  assert.equal(r.error, undefined);
  assert.equal(r.authorized, true);
  assert.ok(checked);
  // And the identity check really bites: a name not in the cert fails the handshake.
  const bad = await handshake(leaf, { servername: 'localhost' });
  assert.match(String(bad.error), /does not match|not in the cert/i);
});

test('memory cache: same names (any order) return the same leaf', async () => {
  // Keys stocked for both leaves: an empty pool would hand out its last key again (a burst of names).
  const pool = new KeyPool({ size: 2 });
  await pool.whenFull();
  const f = newFactory({ keyPool: pool });
  const a = await f.getLeaf({ sni: 'cache.test', upstreamSans: ['b.cache.test', 'a.cache.test'] });
  const b = await f.getLeaf({ sni: 'cache.test', upstreamSans: ['a.cache.test', 'b.cache.test'] });
  assert.equal(b.certPem, a.certPem);
  assert.equal(f.stats.generated, 1);
  assert.equal(f.stats.memoryHits, 1);
  const c = await f.getLeaf({ sni: 'other.cache.test' });
  assert.notEqual(c.certPem, a.certPem);
  assert.notEqual(c.keyPem, a.keyPem, 'every leaf gets its own key while the pool has one');
  pool.close();
});

test('disk cache: a new factory on the same cacheDir reuses the leaf', async () => {
  const cacheDir = path.join(tempDir(), 'leaves');
  const first = await newFactory({ cacheDir }).getLeaf({ sni: 'disk.test', upstreamSans: ['::1'] });
  assert.equal(modeOf(cacheDir), 0o700);
  const files = fs.readdirSync(cacheDir);
  assert.equal(files.length, 1);
  assert.equal(modeOf(path.join(cacheDir, files[0])), 0o600);

  const f2 = newFactory({ cacheDir });
  const second = await f2.getLeaf({ sni: 'disk.test', upstreamSans: ['::1'] });
  assert.equal(second.certPem, first.certPem);
  assert.equal(second.keyPem, first.keyPem);
  assert.deepEqual(second.names, first.names);
  assert.deepEqual(f2.stats, { generated: 0, memoryHits: 0, diskHits: 1 });
});

test('disk cache entries from another CA are ignored and replaced', async () => {
  const cacheDir = path.join(tempDir(), 'leaves');
  const old = await newFactory({ cacheDir }).getLeaf({ sni: 'rotate.test' });
  const otherCa = await initCa(path.join(tempDir(), 'ca2'));
  const f = new LeafFactory(otherCa, { cacheDir, poolSize: 0 });
  const fresh = await f.getLeaf({ sni: 'rotate.test' });
  assert.notEqual(fresh.certPem, old.certPem);
  assert.ok(new X509Certificate(fresh.certPem).verify(otherCa.x509.publicKey));
  assert.equal(f.stats.generated, 1);
});

test('concurrent requests for the same names share one generation', async () => {
  const f = newFactory({ poolSize: 0 });
  const leaves = await Promise.all(
    Array.from({ length: 8 }, (_, i) => f.getLeaf({ sni: 'burst.test', upstreamSans: i % 2 ? ['x.burst.test'] : ['X.burst.test.'] })),
  );
  assert.equal(new Set(leaves.map((l) => l.certPem)).size, 1);
  assert.equal(f.stats.generated, 1);
  assert.equal(f.stats.memoryHits, 7);
});

test('a pooled key is used, so a new host costs only a signature', async () => {
  const made: string[] = [];
  const pool = new KeyPool({
    size: 2,
    generate: async () => {
      const k = await generateRsaKey();
      made.push(k.privateKeyPem);
      return k;
    },
  });
  await pool.whenFull();
  const stocked = [...made];
  const f = new LeafFactory(ca, { keyPool: pool });
  const t0 = performance.now();
  const leaf = await f.getLeaf({ sni: 'pooled.test' });
  const ms = performance.now() - t0;
  assert.ok(stocked.includes(leaf.keyPem), 'leaf key came from the pool');
  assert.ok(ms < 250, `pooled leaf took ${ms.toFixed(1)} ms`);
  f.close(); // does not close a pool it was given
  await pool.whenFull();
  assert.equal(pool.available, 2, 'pool refilled in the background');
  pool.close();
});

test('no usable name is a clear error', async () => {
  await assert.rejects(factory.getLeaf({}), /no usable host name/);
  await assert.rejects(factory.getLeaf({ sni: 'bad name!', upstreamSans: ['email:a@b'] }), /no usable host name/);
});
