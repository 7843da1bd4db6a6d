/**
 * Local certificate authority for TLS interception: creation, storage, loading.
 *
 * The CA lives in a directory (default `$XDG_CONFIG_HOME/imapdbg/ca`) as
 * `ca-cert.pem` (0644, what users import into their clients) and `ca-key.pem`
 * (0600, created with that mode so it is never briefly world-readable).
 * Certificates are built with node-forge but signed with Node's native crypto:
 * forge's pure-JS RSA signature costs ~45 ms, native ~1 ms (see bench/leaf-bench.ts).
 */
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate, KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import forge from 'node-forge';
import { generateRsaKey } from './key-pool';

export const CA_CERT_FILE = 'ca-cert.pem';
export const CA_KEY_FILE = 'ca-key.pem';
/** Certificates start this far in the past so clients with a slow clock accept them. */
export const BACKDATE_MS = 2 * 24 * 3600 * 1000;
const CA_VALIDITY_YEARS = 10;

/** A loaded CA: PEMs, parsed forms for issuing, and paths. */
export interface CaMaterial {
  dir: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  /** forge form, used as the issuer when building leaves. */
  cert: forge.pki.Certificate;
  /** Native form, used for subject/validity display and verification. */
  x509: X509Certificate;
  /** Native private key, used for signing. */
  privateKey: KeyObject;
  /** SHA-256 fingerprint, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint256: string;
  /** Raw bytes (forge binary string) of the CA's subjectKeyIdentifier, for leaves' authorityKeyIdentifier. */
  subjectKeyId: string;
}

/** Thrown by {@link loadCa} when the directory holds no CA at all. */
export class CaNotFoundError extends Error {
  constructor(readonly dir: string) {
    super(`No imapdbg CA found in ${dir}; run "imapdbg ca init" to create one.`);
    this.name = 'CaNotFoundError';
  }
}

/** Thrown by {@link initCa} when a CA exists and `force` was not given. */
export class CaExistsError extends Error {
  constructor(readonly dir: string) {
    super(`A CA already exists in ${dir}; pass --force to replace it (clients must then trust the new certificate).`);
    this.name = 'CaExistsError';
  }
}

/** `$XDG_CONFIG_HOME/imapdbg/ca`, falling back to `~/.config/imapdbg/ca`. */
export function defaultCaDir(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
  return path.join(base, 'imapdbg', 'ca');
}

/** SHA-256 fingerprint of a PEM or DER certificate, e.g. `AB:CD:...` like openssl prints. */
export function fingerprintSha256(cert: string | Buffer): string {
  const der = typeof cert === 'string' ? pemToDer(cert) : cert;
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('Input is not a PEM certificate.');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

/** 128-bit random positive serial as hex (first byte kept in 0x01..0x7f: positive and minimal DER). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f || 0x01;
  return b.toString('hex');
}

// forge implements getTBSCertificate but its typings omit it.
const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

/** Signs a forge certificate (sha256WithRSAEncryption) with a native key; same result as `cert.sign()`, ~40x faster. */
export function signCertificate(cert: forge.pki.Certificate, key: KeyObject): void {
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  cert.tbsCertificate = forgePki.getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, key).toString('binary');
}

/** PEM of a forge certificate with Unix line endings (forge emits CRLF). */
export function certToPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** The CA's subjectKeyIdentifier bytes (from the extension, else computed as RFC 5280 method 1). */
export function subjectKeyIdOf(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  return cert.generateSubjectKeyIdentifier().getBytes();
}

/** Builds a fresh self-signed CA (RSA 2048, SHA-256, 10 years, backdated 2 days). */
export async function generateCa(now: Date = new Date()): Promise<{ certPem: string; keyPem: string }> {
  const { privateKeyPem, publicKeyPem } = await generateRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  cert.validity.notAfter = notAfter;
  // CN is limited to 64 characters (RFC 5280 ub-common-name); long host names get cut.
  const host = os.hostname().slice(0, 64 - 'imapdbg CA ()'.length);
  const attrs = [
    { name: 'commonName', value: `imapdbg CA (${host})` },
    { name: 'organizationName', value: 'imapdbg' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    // pathLen 0: this CA signs leaves only, never intermediates.
    { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, createPrivateKey(privateKeyPem));
  return { certPem: certToPem(cert), keyPem: privateKeyPem };
}

/** Parses and checks CA PEMs (key matches cert, cert is a CA) into {@link CaMaterial}. */
export function parseCa(dir: string, certPem: string, keyPem: string): CaMaterial {
  const certPath = path.join(dir, CA_CERT_FILE);
  const keyPath = path.join(dir, CA_KEY_FILE);
  let cert: forge.pki.Certificate;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
    cert = forge.pki.certificateFromPem(certPem);
  } catch {
    throw new Error(`${certPath} is not a valid RSA certificate; run "imapdbg ca init --force" to replace the CA.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw new Error(`${keyPath} is not a valid private key; run "imapdbg ca init --force" to replace the CA.`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(`${keyPath} does not match ${certPath}; run "imapdbg ca init --force" to replace the CA.`);
  }
  if (!x509.ca) throw new Error(`${certPath} is not a CA certificate (basicConstraints CA:false).`);
  return {
    dir, certPath, keyPath, certPem, keyPem, cert, x509, privateKey,
    fingerprint256: fingerprintSha256(certPem),
    subjectKeyId: subjectKeyIdOf(cert),
  };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Loads the CA from `dir`; throws {@link CaNotFoundError} if neither file exists. */
export async function loadCa(dir: string = defaultCaDir()): Promise<CaMaterial> {
  const certPem = await readIfExists(path.join(dir, CA_CERT_FILE));
  const keyPem = await readIfExists(path.join(dir, CA_KEY_FILE));
  if (certPem === undefined && keyPem === undefined) throw new CaNotFoundError(dir);
  if (certPem === undefined || keyPem === undefined) {
    const missing = certPem === undefined ? CA_CERT_FILE : CA_KEY_FILE;
    throw new Error(`The CA in ${dir} is incomplete (${missing} is missing); run "imapdbg ca init --force" to replace it.`);
  }
  return parseCa(dir, certPem, keyPem);
}

/** Creates the CA directory as 0700 and tightens it if it already existed looser. */
async function ensurePrivateDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fsp.stat(dir);
  if ((st.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Creates a new CA in `dir`. Refuses to overwrite an existing one unless `force`.
 * Without force, files are created exclusively (`wx`), so two racing processes
 * cannot interleave; with force, each is written to a temp file (created 0600 /
 * 0644) and renamed into place.
 */
export async function initCa(dir: string = defaultCaDir(), options: { force?: boolean } = {}): Promise<CaMaterial> {
  await ensurePrivateDir(dir);
  const certPath = path.join(dir, CA_CERT_FILE);
  const keyPath = path.join(dir, CA_KEY_FILE);
  if (!options.force && ((await exists(certPath)) || (await exists(keyPath)))) throw new CaExistsError(dir);

  const { certPem, keyPem } = await generateCa();
  if (options.force) {
    const suffix = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fsp.writeFile(keyPath + suffix, keyPem, { flag: 'wx', mode: 0o600 });
    await fsp.writeFile(certPath + suffix, certPem, { flag: 'wx', mode: 0o644 });
    await fsp.rename(keyPath + suffix, keyPath);
    await fsp.rename(certPath + suffix, certPath);
  } else {
    try {
      // Key first: its exclusive create is the "lock" deciding who wins a race.
      await fsp.writeFile(keyPath, keyPem, { flag: 'wx', mode: 0o600 });
      await fsp.writeFile(certPath, certPem, { flag: 'wx', mode: 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CaExistsError(dir);
      throw err;
    }
  }
  return parseCa(dir, certPem, keyPem);
}

/**
 * Loads the CA from `dir`, creating it on first use. Another process may be
 * creating or replacing it at this very moment (two files, written one after
 * the other), so an incomplete or mismatched CA is retried for about a second
 * before its error is reported.
 */
export async function loadOrCreateCa(dir: string = defaultCaDir()): Promise<CaMaterial> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await loadCa(dir);
    } catch (err) {
      lastErr = err;
      if (err instanceof CaNotFoundError) {
        try {
          return await initCa(dir);
        } catch (initErr) {
          // Lost a creation race: loop round and load the winner's CA.
          if (!(initErr instanceof CaExistsError)) throw initErr;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw lastErr;
}
