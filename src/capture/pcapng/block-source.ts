import type { FileHandle } from 'node:fs/promises';
import { MAX_BLOCK_BYTES, pad4 } from './pcapng-blocks';

/** Bytes read at a time while walking blocks: many small blocks per read. */
const WINDOW_BYTES = 1024 * 1024;
/** EPB fixed part, then as much of the packet as a reader needs to find its connection (Ethernet + IPv6 + TCP). */
const EPB_HEAD_BYTES = 28 + 14 + 40 + 20;

/** A block as the walk hands it out. */
export interface Block {
  type: number;
  offset: number;
  length: number;
  /** The whole block, or (for a skimmed EPB) just its head: `whole` says which. */
  bytes: Buffer;
  whole: boolean;
  /** A skimmed EPB's options (the block from its padded packet data to the trailing length). */
  options?: Buffer;
}

export type BlockProblem = { cut: true } | { corrupt: string };

/**
 * Walks the blocks of a pcapng file from a given offset, reading a window at a time, so memory stays
 * bounded by the window and the largest block (MAX_BLOCK_BYTES) whatever the file size. Enhanced
 * packet blocks can be skimmed: only their head and options are read, their payload skipped, which is
 * what makes metadata-only reads fast. Handed-out buffers are never overwritten (each read fills a
 * fresh buffer), so callers may keep them.
 */
export class BlockSource {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(private readonly file: FileHandle, readonly size: number) {}

  /**
   * The block at `offset`, or a problem: `cut` when the file ends inside it (a killed writer),
   * `corrupt` when its lengths make no sense. `skim(type, length)` says whether to skip the payload.
   */
  async blockAt(offset: number, skim: (type: number, length: number) => boolean): Promise<Block | BlockProblem> {
    if (offset + 12 > this.size) return { cut: true };
    const head = await this.bytesAt(offset, 8);
    const type = head.readUInt32LE(0);
    const length = head.readUInt32LE(4);
    if (length < 12 || length % 4 !== 0) return { corrupt: `block at offset ${offset} has an impossible length ${length}` };
    if (length > MAX_BLOCK_BYTES) return { corrupt: `block at offset ${offset} claims ${length} bytes (more than the ${MAX_BLOCK_BYTES} a block may have)` };
    if (offset + length > this.size) return { cut: true };
    if (type === 6 && length > EPB_HEAD_BYTES + 64 && skim(type, length)) {
      const bytes = await this.bytesAt(offset, EPB_HEAD_BYTES);
      const caplen = bytes.readUInt32LE(20);
      const optionsAt = 28 + pad4(caplen);
      if (optionsAt > length - 4) return { corrupt: `packet block at offset ${offset} captures ${caplen} bytes, more than the block holds` };
      const options = optionsAt < length - 4 ? await this.bytesAt(offset + optionsAt, length - optionsAt) : undefined;
      if (options && options.readUInt32LE(options.length - 4) !== length) return { corrupt: `block at offset ${offset}: leading and trailing lengths differ` };
      return { type, offset, length, bytes, whole: false, options: options?.subarray(0, options.length - 4) };
    }
    const bytes = await this.bytesAt(offset, length);
    if (bytes.readUInt32LE(length - 4) !== length) return { corrupt: `block at offset ${offset}: leading and trailing lengths differ` };
    return { type, offset, length, bytes, whole: true };
  }

  /** `length` bytes from `offset` (the caller checked they are in the file). */
  async bytesAt(offset: number, length: number): Promise<Buffer> {
    const end = this.windowStart + this.window.length;
    if (offset >= this.windowStart && offset + length <= end) {
      return this.window.subarray(offset - this.windowStart, offset - this.windowStart + length);
    }
    const want = Math.min(Math.max(length, WINDOW_BYTES), this.size - offset);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.file.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.window = buf.subarray(0, got);
    this.windowStart = offset;
    return this.window.subarray(0, Math.min(length, got));
  }
}
