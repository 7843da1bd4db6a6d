import { connect, type NetConnectOpts, type Socket } from 'node:net';

/**
 * What a socket reads per call into the lent buffer, by tier: a read that fills its buffer means
 * more is waiting, so the next buffer is the next tier's. A thousand idle sessions hold 1 KiB each;
 * a session that moves replies of a few KB holds 64 KiB (net's own read size); a bulk transfer (a
 * big FETCH literal) reads up to 1 MiB per call: sixteen times fewer reads, socket writes and
 * per-chunk passes through the model and the capture per byte than at 64 KiB. Measured in
 * BENCHMARKS.md (stop 13): the recording proxy's CPU per GiB fell by a quarter or more.
 */
export const LENT_READ_TIERS: readonly number[] = [1024, 64 * 1024, 1024 * 1024];

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
 * pressure (a Node pipe that reads this way took 1.0 CPU s per GiB instead of 1.7; BENCHMARKS.md). The reader sees a view
 * that is valid only during its call and says whether it kept it; if so, that buffer is left to
 * its keeper and the next read gets another: the one kept before, if its keeper said it is done
 * with it (`writesDone`: the socket that kept it drained), else a new one. A bulk transfer to a
 * slower client keeps a 1 MiB buffer every few dozen reads; without reuse each was a fresh
 * megabyte of page faults, and they piled up until a garbage collection.
 */
export class LentReads {
  private buffer: Buffer = Buffer.allocUnsafeSlow(LENT_READ_TIERS[0]);
  private reader: LentChunkReader | undefined;
  /** Copies of what came while no reader was attached (the socket pauses at once). */
  private early: Buffer[] = [];
  /** The last buffer a reader kept, and one whose keeper is done with it (read into again). */
  private parked: Buffer | undefined;
  private spare: Buffer | undefined;

  /** The buffer for the next read. */
  next(): Buffer {
    return this.buffer;
  }

  /** One read of `length` bytes into `buffer`; false pauses the socket (net's `onread` contract). */
  read(length: number, buffer: Buffer): boolean {
    const chunk = buffer.subarray(0, length);
    if (!this.reader) {
      this.early.push(Buffer.from(chunk));
      return false;
    }
    const kept = this.reader(chunk) === 'kept';
    const size = length === buffer.length ? nextTier(buffer.length) : buffer.length;
    if (kept) this.parked = buffer;
    if (kept || size !== buffer.length) this.buffer = this.take(size);
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
  const socket = connect({ ...options, onread: { buffer: () => lent.next(), callback: (n, buf) => lent.read(n, buf as Buffer) } });
  lenders.set(socket, lent);
  return socket;
}

/** The lent reads of a socket made by `connectLending`, if it was. */
export function lentReadsOf(socket: Socket): LentReads | undefined {
  return lenders.get(socket);
}
