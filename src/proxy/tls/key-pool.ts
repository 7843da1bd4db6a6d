/**
 * Pool of pre-generated RSA key pairs for leaf certificates.
 *
 * RSA key generation is the expensive part of minting a leaf (tens to hundreds
 * of milliseconds, with a long random tail), whereas signing is ~1 ms. Keeping
 * a few keys ready means a client connecting to a host we have not seen before
 * only pays for a signature. Keys are generated with Node's async
 * `crypto.generateKeyPair`, which runs on the libuv threadpool and so never
 * blocks the event loop that is relaying other sessions' traffic.
 *
 * A burst of new hosts (200 SNI names from one hostile client) empties the
 * pool; generating a key per host then cost 49 s of CPU on all cores, and the
 * proxy's own thread starved. So an empty pool hands out the last key again
 * while the single background refill goes on: leaves then share a key, as
 * every leaf of mitmproxy does (they all live next to the CA's own key).
 */
import { generateKeyPair } from 'node:crypto';

/** An RSA key pair as PEM strings (PKCS#8 private key, SPKI public key). */
export interface RsaKeyPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Default modulus size: 2048 is what every TLS client accepts and is quick to make. */
export const RSA_BITS = 2048;

/**
 * Generates an RSA key pair off the event loop (libuv threadpool).
 * @param bits modulus length, default 2048
 */
export function generateRsaKey(bits: number = RSA_BITS): Promise<RsaKeyPem> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicKeyPem, privateKeyPem) => {
        if (err) reject(err);
        else resolve({ privateKeyPem, publicKeyPem });
      },
    );
  });
}

/** Options for {@link KeyPool}. */
export interface KeyPoolOptions {
  /** How many spare keys to keep ready (0 disables pooling: every take generates a key). Default 4. */
  size?: number;
  /** Key generator; replaceable for tests and benchmarks. */
  generate?: () => Promise<RsaKeyPem>;
}

/**
 * Keeps up to `size` spare keys. {@link take} hands one out immediately when
 * available (otherwise generates one on demand) and triggers a background refill.
 */
export class KeyPool {
  private readonly size: number;
  private readonly generate: () => Promise<RsaKeyPem>;
  private readonly keys: RsaKeyPem[] = [];
  private refilling = false;
  private closed = false;
  private fullWaiters: Array<() => void> = [];
  /** The key handed out last, handed out again while the pool is empty. */
  private lastKey: Promise<RsaKeyPem> | undefined;

  constructor(options: KeyPoolOptions = {}) {
    this.size = Math.max(0, Math.floor(options.size ?? 4));
    this.generate = options.generate ?? (() => generateRsaKey());
  }

  /** Number of keys ready to hand out right now. */
  get available(): number {
    return this.keys.length;
  }

  /** Starts filling the pool in the background (idempotent). */
  start(): void {
    void this.refill();
  }

  /** Resolves once the pool is full (or closed, or refilling failed). Starts filling if needed. */
  whenFull(): Promise<void> {
    if (this.closed || this.keys.length >= this.size) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.fullWaiters.push(resolve));
    this.start();
    return p;
  }

  /**
   * Returns a key: a pooled one if available; on an empty pool the last one handed out (or, the
   * very first time, one generated now); with pooling disabled (size 0) a new one each time.
   */
  async take(): Promise<RsaKeyPem> {
    const key = this.keys.shift();
    if (this.size === 0) return this.generate();
    this.start();
    if (key) {
      this.lastKey = Promise.resolve(key);
      return key;
    }
    if (!this.lastKey) {
      const first = this.generate();
      this.lastKey = first;
      // A failed first key must not stick: the next take tries again.
      first.catch(() => { if (this.lastKey === first) this.lastKey = undefined; });
    }
    return this.lastKey;
  }

  /** Stops background refilling and drops spare keys. Keys already handed out are unaffected. */
  close(): void {
    this.closed = true;
    this.keys.length = 0;
    this.notifyFull();
  }

  /**
   * Generates one key at a time until full. Sequential on purpose: the libuv
   * threadpool (4 threads by default) is shared with fs and dns, and we must not
   * starve those just to stock spares.
   */
  private async refill(): Promise<void> {
    if (this.refilling) return;
    this.refilling = true;
    try {
      while (!this.closed && this.keys.length < this.size) {
        const key = await this.generate();
        if (this.closed) break;
        this.keys.push(key);
      }
    } catch {
      // Keygen failing is not expected; take() will surface the error when it
      // generates on demand, and the next take() retries the refill.
    } finally {
      this.refilling = false;
      // Full, closed or failed: either way nobody should wait any longer.
      this.notifyFull();
    }
  }

  private notifyFull(): void {
    const waiters = this.fullWaiters;
    this.fullWaiters = [];
    for (const w of waiters) w();
  }
}
