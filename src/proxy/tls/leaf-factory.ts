/**
 * Mints leaf (server) certificates signed by the imapdbg CA, one per set of
 * host names, cached in memory and optionally on disk so reconnects and
 * restarts present the same certificate (clients that pinned it stay happy).
 */
import { createHash, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { domainToASCII } from 'node:url';
import forge from 'node-forge';
import { BACKDATE_MS, CaMaterial, certToPem, randomSerialHex, signCertificate } from './ca-store';
import { KeyPool } from './key-pool';

/** Where the names for a leaf come from. */
export interface LeafNames {
  /** SNI the client sent; becomes the first name (CN) when present. */
  sni?: string;
  /** Host (name or IP) we connect to upstream; first name when there is no SNI. */
  upstreamHost?: string;
  /** Upstream certificate's SANs: plain names/IPs or Node's `DNS:x` / `IP Address:y` forms. */
  upstreamSans?: string[];
  /** Anything else clients may check against, e.g. the proxy's own listen address. */
  extraNames?: string[];
}

/** A leaf certificate ready for `tls.createServer({ key: keyPem, cert: chainPem })`. */
export interface LeafMaterial {
  keyPem: string;
  certPem: string;
  /** Leaf followed by the CA certificate. */
  chainPem: string;
  /** Normalized names in the certificate (first one is the CN). */
  names: string[];
  notAfter: Date;
}

/** Options for {@link LeafFactory}. */
export interface LeafFactoryOptions {
  /** Directory for persisted leaves (created 0700, files 0600). Memory-only when absent. */
  cacheDir?: string;
  /** Spare keys to keep ready (default 4; 0 = generate on demand). Ignored if keyPool is given. */
  poolSize?: number;
  /** Shared key pool; the factory then does not close it. */
  keyPool?: KeyPool;
  /** In-memory cache bound (least recently used evicted). Default 256. */
  maxEntries?: number;
  /** On-disk cache bound: files beyond it are deleted, least recently used first. Default 256. */
  maxCacheFiles?: number;
  /**
   * New leaves are made one at a time (each costs ~5 ms of the event loop); at most this many
   * distinct name sets may wait, further ones are refused (that client's handshake fails). Default 64.
   */
  maxWaiting?: number;
  /** Called when the disk cache cannot be written; issuing still succeeds. */
  onError?: (err: Error) => void;
}

/** Counters, mostly for tests and diagnostics. */
export interface LeafFactoryStats {
  generated: number;
  memoryHits: number;
  diskHits: number;
}

const DAY_MS = 24 * 3600 * 1000;
const LEAF_VALIDITY_MS = 365 * DAY_MS;
/** Reissue leaves that would expire within this margin rather than serve them. */
const RENEW_MARGIN_MS = 7 * DAY_MS;

/** DNS limits (RFC 1035 2.3.4): a name of at most 253 characters (without the root dot), labels of at most 63. */
const MAX_NAME = 253;
const MAX_LABEL = 63;

/** Canonical form of one host name or IP, or undefined if it cannot go in a certificate. */
export function normalizeName(raw: string): string | undefined {
  // Untrusted (an SNI, a peer's certificate): refuse absurd input before any parsing.
  if (raw.length > 4 * MAX_NAME) return undefined;
  let s = raw.trim();
  const typed = /^(DNS|IP Address|IP):\s*(.*)$/i.exec(s);
  if (typed) s = typed[2];
  else if (/^(email|URI|DirName|othername|Registered ID):/i.test(s)) return undefined;
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const unzoned = s.replace(/%.*$/, '');
  if (isIP(unzoned) === 4) return unzoned;
  // The URL parser canonicalizes IPv6 (lower case, zero compression), so
  // "2001:DB8:0:0:0:0:0:1" from Node's subjectaltname equals "2001:db8::1".
  if (isIP(unzoned) === 6) return new URL(`http://[${unzoned}]`).hostname.slice(1, -1);
  // Only what a host name (or an IDN) is made of: the URL parser behind domainToASCII would cut
  // "a/../b.test" down to "a" rather than refuse it.
  if (/[^\p{L}\p{M}\p{N}._*-]/u.test(s)) return undefined;
  const wildcard = s.startsWith('*.');
  const ascii = domainToASCII((wildcard ? s.slice(2) : s).replace(/\.$/, ''));
  if (!ascii || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(ascii)) return undefined;
  if (ascii.length + (wildcard ? 2 : 0) > MAX_NAME || ascii.split('.').some((label) => label.length > MAX_LABEL)) return undefined;
  return wildcard ? `*.${ascii}` : ascii;
}

/**
 * A client's SNI as a certificate name, or undefined when it is not a plain host name: SNI is
 * untrusted input that becomes a SAN, so besides normalizeName's charset and length checks it
 * must not be a wildcard or an IP literal (RFC 6066 3 permits neither).
 */
export function normalizeSni(raw: string): string | undefined {
  const name = normalizeName(raw);
  if (name === undefined || name.startsWith('*.') || isIP(name) !== 0) return undefined;
  return name;
}

/** Splits Node's `peerCertificate.subjectaltname` ("DNS:a, IP Address:1.2.3.4") into entries. */
export function parseSubjectAltName(san: string | undefined): string[] {
  const out: string[] = [];
  const re = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (const m of (san ?? '').matchAll(re)) {
    if (m[0] === '') break;
    const value = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    out.push(`${m[1]}:${value}`);
  }
  return out;
}

/** Ordered, de-duplicated certificate names: SNI, upstream host, upstream SANs, extras. */
export function normalizeLeafNames(names: LeafNames): string[] {
  const raw = [names.upstreamHost, ...(names.upstreamSans ?? []), ...(names.extraNames ?? [])];
  const sni = names.sni === undefined ? undefined : normalizeSni(names.sni);
  const out: string[] = sni === undefined ? [] : [sni];
  for (const r of raw) {
    const n = r === undefined ? undefined : normalizeName(r);
    if (n !== undefined && !out.includes(n)) out.push(n);
  }
  return out;
}

interface Entry {
  promise: Promise<LeafMaterial>;
  notAfter?: number;
}

/**
 * Issues and caches leaf certificates. `getLeaf` for names seen before returns
 * the cached leaf; concurrent calls for the same names share one promise.
 */
export class LeafFactory {
  readonly stats: LeafFactoryStats = { generated: 0, memoryHits: 0, diskHits: 0 };
  private readonly memory = new Map<string, Entry>();
  private readonly pool: KeyPool;
  private readonly ownsPool: boolean;
  private readonly maxEntries: number;
  private readonly maxCacheFiles: number;
  private readonly maxWaiting: number;
  private cacheDirReady?: Promise<void>;
  /** Cache file names, least recently used first; read from the directory once. */
  private diskOrder?: Promise<string[]>;
  /** The tail of the one-at-a-time queue of leaves being loaded or made. */
  private queueTail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly ca: CaMaterial, private readonly options: LeafFactoryOptions = {}) {
    this.ownsPool = !options.keyPool;
    this.pool = options.keyPool ?? new KeyPool({ size: options.poolSize ?? 4 });
    this.maxEntries = Math.max(1, options.maxEntries ?? 256);
    this.maxCacheFiles = Math.max(1, options.maxCacheFiles ?? 256);
    this.maxWaiting = Math.max(1, options.maxWaiting ?? 64);
    // Start stocking keys now so the first unseen host costs only a signature.
    this.pool.start();
  }

  /** Returns a leaf for these names (memory cache, then disk cache, then a new one). */
  getLeaf(names: LeafNames): Promise<LeafMaterial> {
    const list = normalizeLeafNames(names);
    if (list.length === 0) {
      return Promise.reject(new Error('Cannot issue a certificate: no usable host name (SNI, upstream host or SAN).'));
    }
    const key = [...list].sort().join(' ');
    const hit = this.memory.get(key);
    if (hit && (hit.notAfter === undefined || this.fresh(hit.notAfter))) {
      this.stats.memoryHits++;
      this.memory.delete(key); // re-insert: Map order doubles as LRU order
      this.memory.set(key, hit);
      return hit.promise;
    }
    if (this.waiting >= this.maxWaiting) {
      return Promise.reject(new Error(`Cannot issue a certificate for ${list[0]}: ${this.waiting} other new host names are waiting for one.`));
    }
    const entry: Entry = { promise: this.queued(() => this.load(list, key)) };
    this.memory.set(key, entry);
    entry.promise.then(
      (leaf) => { entry.notAfter = leaf.notAfter.getTime(); },
      () => { if (this.memory.get(key) === entry) this.memory.delete(key); },
    );
    if (this.memory.size > this.maxEntries) {
      const oldest = this.memory.keys().next().value;
      if (oldest !== undefined) this.memory.delete(oldest);
    }
    return entry.promise;
  }

  /**
   * Run `job` after every job queued before it, one at a time, each in a later event-loop turn:
   * a burst of new names then costs the other sessions one leaf's work (~5 ms) per turn at most.
   */
  private queued<T>(job: () => Promise<T>): Promise<T> {
    this.waiting++;
    const run = this.queueTail.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(job);
    const settled = run.then(() => undefined, () => undefined);
    this.queueTail = settled;
    void settled.then(() => { this.waiting--; });
    return run;
  }

  /** Stops the background key pool (if this factory created it). */
  close(): void {
    if (this.ownsPool) this.pool.close();
  }

  /** Worth serving: not close to expiry, or as long-lived as the CA allows (reissuing would not help). */
  private fresh(notAfter: number): boolean {
    const left = notAfter - Date.now();
    return left > RENEW_MARGIN_MS || (left > 0 && notAfter >= this.ca.cert.validity.notAfter.getTime());
  }

  private async load(names: string[], key: string): Promise<LeafMaterial> {
    const file = this.cacheFile(key);
    if (file) {
      const cached = await this.readCached(file, key);
      if (cached) {
        this.stats.diskHits++;
        await this.touchCached(file, true);
        return cached;
      }
    }
    const leaf = await this.issue(names);
    if (file) {
      try {
        await this.writeCached(file, leaf);
        await this.touchCached(file, false);
      } catch (err) {
        this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return leaf;
  }

  /**
   * Mark a cache file as the most recently used and delete the least recently used ones beyond
   * `maxCacheFiles`. Other processes sharing the directory are counted at the first scan only.
   */
  private async touchCached(file: string, hit: boolean): Promise<void> {
    const dir = path.dirname(file);
    this.diskOrder ??= scanCacheDir(dir);
    const order = await this.diskOrder;
    const name = path.basename(file);
    const at = order.indexOf(name);
    if (at !== -1) order.splice(at, 1);
    order.push(name);
    // The file's time orders the next process's scan.
    if (hit) await fsp.utimes(file, new Date(), new Date()).catch(() => undefined);
    while (order.length > this.maxCacheFiles) {
      const oldest = order.shift();
      if (oldest !== undefined) await fsp.unlink(path.join(dir, oldest)).catch(() => undefined);
    }
  }

  private async issue(names: string[]): Promise<LeafMaterial> {
    this.stats.generated++;
    const now = Date.now();
    const caNotAfter = this.ca.cert.validity.notAfter.getTime();
    if (caNotAfter - now <= DAY_MS) {
      throw new Error(`The imapdbg CA in ${this.ca.dir} has expired; run "imapdbg ca init --force" and trust the new certificate.`);
    }
    const { privateKeyPem, publicKeyPem } = await this.pool.take();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
    cert.serialNumber = randomSerialHex();
    cert.validity.notBefore = new Date(now - BACKDATE_MS);
    // A leaf outliving its CA would fail validation for no good reason.
    cert.validity.notAfter = new Date(Math.min(now + LEAF_VALIDITY_MS, caNotAfter));
    const subject: forge.pki.CertificateField[] = [{ name: 'organizationName', value: 'imapdbg' }];
    // CN is capped at 64 chars by RFC 5280; clients match on SANs anyway.
    if (names[0].length <= 64) subject.unshift({ name: 'commonName', value: names[0] });
    cert.setSubject(subject);
    cert.setIssuer(this.ca.cert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', critical: true, cA: false },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })),
      },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.ca.subjectKeyId },
    ]);
    signCertificate(cert, this.ca.privateKey);
    const certPem = certToPem(cert);
    return {
      keyPem: privateKeyPem,
      certPem,
      chainPem: certPem + this.ca.certPem,
      names,
      notAfter: cert.validity.notAfter,
    };
  }

  private cacheFile(key: string): string | undefined {
    const dir = this.options.cacheDir;
    if (!dir) return undefined;
    // Hash the name set: names hold characters (':', '*') unsafe in file names.
    return path.join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.pem`);
  }

  /** Reads a persisted leaf, accepting it only if it still fits this CA and these names. */
  private async readCached(file: string, key: string): Promise<LeafMaterial | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(text)?.[0];
      const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(text)?.[0];
      if (!keyPem || !certPem) return undefined;
      const x509 = new X509Certificate(certPem);
      // A CA re-created with `ca init --force` invalidates every cached leaf.
      if (!x509.verify(this.ca.x509.publicKey)) return undefined;
      if (!x509.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
      const notAfter = new Date(x509.validTo);
      if (!this.fresh(notAfter.getTime())) return undefined;
      const certNames = normalizeLeafNames({ upstreamSans: parseSubjectAltName(x509.subjectAltName) });
      if ([...certNames].sort().join(' ') !== key) return undefined;
      const cn = /^CN=(.*)$/m.exec(x509.subject)?.[1];
      const names = cn && certNames.includes(cn) ? [cn, ...certNames.filter((n) => n !== cn)] : certNames;
      return { keyPem, certPem, chainPem: certPem + this.ca.certPem, names, notAfter };
    } catch {
      return undefined; // corrupt file: reissue and overwrite
    }
  }

  /** Writes key + cert to one file created 0600 (temp file + rename, so readers never see half of it). */
  private async writeCached(file: string, leaf: LeafMaterial): Promise<void> {
    const dir = path.dirname(file);
    this.cacheDirReady ??= fsp.mkdir(dir, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (err: unknown) => {
        this.cacheDirReady = undefined; // let the next leaf try again
        throw err;
      },
    );
    await this.cacheDirReady;
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fsp.writeFile(tmp, leaf.keyPem + leaf.certPem, { flag: 'wx', mode: 0o600 });
    await fsp.rename(tmp, file);
  }
}

/** The leaf files in a cache directory, least recently used (oldest mtime) first. */
async function scanCacheDir(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => /^[0-9a-f]{32}\.pem$/.test(n));
  } catch {
    return [];
  }
  const dated = await Promise.all(names.map(async (n) => {
    try {
      return { n, t: (await fsp.stat(path.join(dir, n))).mtimeMs };
    } catch {
      return undefined;
    }
  }));
  return dated.filter((d): d is { n: string; t: number } => d !== undefined).sort((a, b) => a.t - b.t).map((d) => d.n);
}
