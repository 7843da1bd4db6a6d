import { connect, Socket, type NetConnectOpts, type SocketConstructorOpts } from 'node:net';

/**
 * What a socket reads per call into the lent buffer, by tier: a read that fills its buffer means
 * more is waiting, so the next buffer is the next tier's. The first tier is one 1 KiB buffer that
 * every socket shares (SHARED_FIRST_TIER): a thousand idle sessions own no read buffer. A session
 * that moves replies of a few KB owns 64 KiB (net's own read size); a bulk transfer (a big FETCH or
 * APPEND literal) reads up to 1 MiB per call: sixteen times fewer reads, socket writes and
 * per-chunk passes through the model and the capture per byte than at 64 KiB. Measured in
 * BENCHMARKS.md (stop 13): the recording proxy's CPU per GiB fell by a quarter or more.
 */
export const LENT_READ_TIERS: readonly number[] = [1024, 64 * 1024, 1024 * 1024];

/**
 * The first tier's buffer, for every socket at once. Node hands each socket's next buffer to its
 * handle right after a read, so a shared buffer must never be kept: its readers get a copy (a few
 * bytes, from node's pool), and it stays valid for all.
 */
const SHARED_FIRST_TIER = Buffer.allocUnsafeSlow(LENT_READ_TIERS[0]);

/** What the reader of a lent chunk did with it. */
export type LentChunkFate = 'released' | 'kept';

/**
 * Takes a chunk that is valid only during the call. 'kept' when a reference to it outlives the
 * call (a socket write that could not finish at once keeps its buffer until it does).
 */
export type LentChunkReader = (chunk: Buffer) => LentChunkFate;

const lenders = new WeakMap<Socket, LentReads>();

/**
 * A socket that reads into one reused buffer (net's `onread`) instead of a fresh 64 KiB
 * ArrayBuffer per read (net's default). On this kind of VM the allocation churn cost more than
 * the bytes did: page faults for fresh memory and mark-compacts started by external-memory
 * pressure (a Node pipe that reads this way took 1.0 CPU s per GiB instead of 1.7; BENCHMARKS.md).
 * The reader sees a view that is valid only during its call and says whether it kept it; if so, that buffer is left to
 * its keeper and the next read gets another: the one kept before, if its keeper said it is done
 * with it (`writesDone`: the socket that kept it drained), else a new one. A bulk transfer to a
 * slower client keeps a 1 MiB buffer every few dozen reads; without reuse each was a fresh
 * megabyte of page faults, and they piled up until a garbage collection.
 */
export class LentReads {
  /** This socket's own buffer (a later tier); undefined while it reads into the shared one. */
  private own: Buffer | undefined;
  private reader: LentChunkReader | undefined;
  /** Copies of what came while no reader was attached (the socket pauses at once). */
  private early: Buffer[] = [];
  /** The last buffer a reader kept, and one whose keeper is done with it (read into again). */
  private parked: Buffer | undefined;
  private spare: Buffer | undefined;

  /** The buffer for the next read. */
  next(): Buffer {
    return this.own ?? SHARED_FIRST_TIER;
  }

  /** One read of `length` bytes into `buffer`; false pauses the socket (net's `onread` contract). */
  read(length: number, buffer: Buffer): boolean {
    const chunk = buffer.subarray(0, length);
    if (!this.reader) {
      this.early.push(Buffer.from(chunk));
      return false;
    }
    if (buffer === SHARED_FIRST_TIER) {
      this.reader(Buffer.from(chunk)); // a copy: nothing may keep the shared buffer
      if (length === buffer.length) this.own = this.take(nextTier(buffer.length));
      return true;
    }
    const kept = this.reader(chunk) === 'kept';
    const size = length === buffer.length ? nextTier(buffer.length) : buffer.length;
    if (kept) this.parked = buffer;
    if (kept || size !== buffer.length) this.own = this.take(size);
    return true;
  }

  /**
   * Every write that kept a chunk has finished (the socket they went to drained): the last kept
   * buffer may be read into again.
   */
  writesDone(): void {
    if (this.parked === undefined) return;
    this.spare = this.parked;
    this.parked = undefined;
  }

  /** A buffer of `size` bytes for the next read: the spare one if it fits, else a new one. */
  private take(size: number): Buffer {
    const spare = this.spare;
    if (spare?.length !== size) return Buffer.allocUnsafeSlow(size);
    this.spare = undefined;
    return spare;
  }

  /**
   * Attach the reader of lent chunks; what came before it is handed to `owned` (copies it may keep).
   * True when the socket had paused itself for want of a reader: the caller resumes it when it may.
   */
  lendTo(reader: LentChunkReader, owned: (chunk: Buffer) => void): boolean {
    this.reader = reader;
    const early = this.early;
    this.early = [];
    for (const chunk of early) owned(chunk);
    return early.length > 0;
  }

  /** Detach the reader (the socket is handed to a TLS layer, or the session ends). */
  withdraw(): void {
    this.reader = undefined;
  }
}

/** The read size after a read that filled a buffer of `size` bytes. */
function nextTier(size: number): number {
  return LENT_READ_TIERS.find((tier) => tier > size) ?? size;
}

/** A TCP connection whose reads are lent (see LentReads); `lentReadsOf` finds them again. */
export function connectLending(options: NetConnectOpts): Socket {
  const lent = new LentReads();
  const socket = connect({ ...options, onread: onreadOf(lent) });
  lenders.set(socket, lent);
  return socket;
}

/**
 * The same for a connection a listener accepted, paused and not read yet. Node's server takes no
 * `onread`, and a client's socket read through 'data' events cost an upload 2.9-3.6 CPU s per GiB
 * against 1.7-2.2 for a pipe (bench/upload-throughput.ts). So its handle moves to a new socket that
 * has one, and the accepted socket object is destroyed without its handle: that releases the
 * server's count of it and closes nothing. This uses net's `handle` constructor option and the
 * `_handle` field (node 20); test/proxy/lent-reads.test.ts pins both. Returns the accepted socket
 * itself when it is no longer usable.
 */
export function lendAccepted(accepted: Socket, allowHalfOpen: boolean): Socket {
  const internals = accepted as unknown as { _handle: object | null };
  const handle = internals._handle;
  if (handle === null || accepted.destroyed) return accepted;
  const lent = new LentReads();
  internals._handle = null;
  accepted.destroy();
  const options = { handle, allowHalfOpen, pauseOnCreate: true, onread: onreadOf(lent) };
  const socket = new Socket(options as unknown as SocketConstructorOpts);
  lenders.set(socket, lent);
  return socket;
}

function onreadOf(lent: LentReads): NonNullable<NetConnectOpts['onread']> {
  return { buffer: () => lent.next(), callback: (n, buf) => lent.read(n, buf as Buffer) };
}

/** The lent reads of a socket made by `connectLending` or `lendAccepted`, if it was. */
export function lentReadsOf(socket: Socket): LentReads | undefined {
  return lenders.get(socket);
}
