import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CA_CERT_FILE, CA_KEY_FILE, CaExistsError, CaNotFoundError,
  defaultCaDir, fingerprintSha256, initCa, loadCa, loadOrCreateCa,
} from '../../../src/proxy/tls/ca-store';

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-ca-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const modeOf = (p: string): number => fs.statSync(p).mode & 0o777;
const openssl = (args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8' });

test('initCa writes the key 0600 in a 0700 directory and the cert readable', async () => {
  const dir = path.join(tempDir(), 'nested', 'ca');
  const ca = await initCa(dir);
  assert.equal(modeOf(dir), 0o700);
  assert.equal(modeOf(path.join(dir, CA_KEY_FILE)), 0o600);
  assert.equal(modeOf(path.join(dir, CA_CERT_FILE)) & 0o600, 0o600);
  assert.equal(modeOf(path.join(dir, CA_CERT_FILE)) & 0o022, 0, 'cert not writable by others');
  assert.equal(ca.certPath, path.join(dir, CA_CERT_FILE));
  assert.match(fs.readFileSync(ca.keyPath, 'utf8'), /BEGIN PRIVATE KEY/);
  assert.doesNotMatch(fs.readFileSync(ca.certPath, 'utf8'), /\r/, 'Unix line endings');
});

test('initCa tightens an existing loose directory to 0700', async () => {
  const dir = tempDir();
  fs.chmodSync(dir, 0o755);
  await initCa(dir);
  assert.equal(modeOf(dir), 0o700);
});

test('the CA certificate has the required fields and extensions', async () => {
  const ca = await initCa(path.join(tempDir(), 'ca'));
  const x = new X509Certificate(ca.certPem);
  assert.equal(x.ca, true);
  assert.ok(x.checkIssued(x), 'self-issued');
  assert.ok(x.verify(x.publicKey), 'self-signed');
  assert.match(x.subject, new RegExp(`CN=imapdbg CA \\(${os.hostname().slice(0, 40)}`));
  assert.match(x.subject, /O=imapdbg/);
  assert.equal(x.publicKey.asymmetricKeyType, 'rsa');
  assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.ok(/^[0-7]/.test(x.serialNumber), 'serial is positive');
  assert.ok(x.serialNumber.length >= 30, 'serial is random 128-bit');

  const day = 24 * 3600 * 1000;
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  assert.ok(Math.abs(Date.now() - 2 * day - from) < 60_000, 'backdated 2 days');
  assert.ok(Math.abs(to - Date.now() - 3652 * day) < 2 * day, 'about 10 years');

  const text = openssl(['x509', '-noout', '-text', '-in', ca.certPath]);
  assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
  assert.match(text, /Basic Constraints: critical\s+CA:TRUE/);
  assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(text, /Subject Key Identifier/);
});

test('fingerprintSha256 matches Node and openssl', async () => {
  const ca = await initCa(path.join(tempDir(), 'ca'));
  assert.equal(fingerprintSha256(ca.certPem), new X509Certificate(ca.certPem).fingerprint256);
  const out = openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', ca.certPath]);
  assert.equal(out.trim().split('=')[1], ca.fingerprint256);
  assert.match(ca.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

test('the CA reloads identically, and loadOrCreateCa reuses it', async () => {
  const dir = path.join(tempDir(), 'ca');
  const created = await loadOrCreateCa(dir);
  const loaded = await loadCa(dir);
  const again = await loadOrCreateCa(dir);
  for (const ca of [loaded, again]) {
    assert.equal(ca.certPem, created.certPem);
    assert.equal(ca.keyPem, created.keyPem);
    assert.equal(ca.fingerprint256, created.fingerprint256);
    assert.equal(ca.subjectKeyId, created.subjectKeyId);
  }
});

test('initCa refuses to overwrite without force and replaces with force', async () => {
  const dir = path.join(tempDir(), 'ca');
  const first = await initCa(dir);
  await assert.rejects(initCa(dir), CaExistsError);
  const second = await initCa(dir, { force: true });
  assert.notEqual(second.fingerprint256, first.fingerprint256);
  assert.equal((await loadCa(dir)).fingerprint256, second.fingerprint256);
  assert.equal(modeOf(second.keyPath), 0o600);
  assert.deepEqual(fs.readdirSync(dir).sort(), [CA_CERT_FILE, CA_KEY_FILE], 'no temp files left');
});

test('loadCa reports a missing, incomplete or mismatched CA clearly', async () => {
  const empty = tempDir();
  await assert.rejects(loadCa(empty), CaNotFoundError);
  await assert.rejects(loadCa(empty), /run "imapdbg ca init"/);

  const a = await initCa(path.join(tempDir(), 'a'));
  const b = await initCa(path.join(tempDir(), 'b'));
  fs.copyFileSync(b.keyPath, a.keyPath);
  await assert.rejects(loadCa(a.dir), /does not match/);
  fs.rmSync(a.keyPath);
  await assert.rejects(loadCa(a.dir), /incomplete \(ca-key\.pem is missing\)/);
});

test('concurrent loadOrCreateCa calls agree on one CA', async () => {
  const dir = path.join(tempDir(), 'ca');
  const all = await Promise.all([loadOrCreateCa(dir), loadOrCreateCa(dir), loadOrCreateCa(dir)]);
  assert.equal(new Set(all.map((c) => c.fingerprint256)).size, 1);
  assert.equal((await loadCa(dir)).fingerprint256, all[0].fingerprint256);
});

test('defaultCaDir follows XDG_CONFIG_HOME, else ~/.config', () => {
  const saved = process.env.XDG_CONFIG_HOME;
  try {
    process.env.XDG_CONFIG_HOME = '/tmp/xdg';
    assert.equal(defaultCaDir(), '/tmp/xdg/imapdbg/ca');
    delete process.env.XDG_CONFIG_HOME;
    assert.equal(defaultCaDir(), path.join(os.homedir(), '.config', 'imapdbg', 'ca'));
  } finally {
    if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = saved;
  }
});
