/**
 * A synchronous, streaming raw DEFLATE decoder (RFC 1951), for COMPRESS=DEFLATE (RFC 4978).
 *
 * Why not node:zlib: the proxy frames every chunk synchronously, so that client and server bytes
 * reach the session model in the order they were read and a direction's end follows its last
 * byte. Node offers raw inflate only as an asynchronous stream or a one-shot `inflateRawSync`,
 * which cannot carry the 32 KiB window from one chunk to the next. This decoder keeps that window
 * and resumes anywhere: input may be cut at any byte, even inside a block header or a Huffman
 * code; it then waits for the next chunk. Memory is bounded: the window, one output chunk, and
 * the unread tail of the input (at most one block header or one symbol, or nothing in a stored block).
 *
 * It can also stop after a given amount of output (`inflate(maxOutput)`) and resume later, so a
 * caller can inflate in slices and yield the event loop: one input byte may expand to 258 output
 * bytes, so a 64 KiB chunk of a DEFLATE bomb is 66 MB of work that must not run in one turn.
 *
 * Why not fflate (whose streaming raw `Inflate` was measured, see bench/inflate-bench.ts): its
 * `push` inflates the whole input it is given and cannot stop at an output budget, so bounded
 * slices need input cut into ~1 KiB pieces (DEFLATE expands up to 1032:1), where its per-push
 * window copies and buffer allocations make it slower than this decoder sliced by output (IMAP
 * text 41 vs 52 MB/s, stored blocks 31 vs 97, a bomb 98 vs 118 on a loaded 2-core machine; whole
 * 16 KiB chunks fflate is faster on text). It also accepts a stored block whose NLEN is not LEN's
 * complement and ignores bytes after the final block, which this decoder reports.
 */

/** The compressed stream is not valid DEFLATE. */
export class InflateError extends Error {}

// RFC 1951 3.2.5: base lengths and extra bits of length codes 257..285 and distance codes 0..29.
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
  4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
// RFC 1951 3.2.7: the order of code length code lengths.
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const WINDOW = 32 * 1024;

/** A Huffman code as a lookup table indexed by the next `bits` input bits: entry = symbol << 4 | code length (0: no code). */
interface Huffman {
  table: Int32Array;
  bits: number;
}

type BlockState =
  | { kind: 'header' }
  | { kind: 'stored'; remaining: number }
  | { kind: 'huffman'; lit: Huffman; dist: Huffman }
  /** After the block marked final: any further byte is an error. */
  | { kind: 'finished' };

/** Thrown inside the decoder when the input ends mid-item; never escapes `write`. */
const NEED_MORE = Symbol('need more input');
/** Thrown inside the decoder, between two items, when the output budget of `inflate` is spent. */
const BUDGET_SPENT = Symbol('output budget spent');

const FIXED = fixedCodes();

export class RawInflater {
  private input: Buffer = Buffer.alloc(0);
  private pos = 0;
  private bitBuf = 0;
  private bitCnt = 0;
  private block: BlockState = { kind: 'header' };
  private final = false;
  private readonly window = Buffer.alloc(WINDOW);
  private total = 0;
  private out: Buffer;
  private outLen = 0;
  private failed: InflateError | undefined;
  /** `total` at which the current `inflate` call stops (Infinity: no budget). */
  private stopAt = Infinity;

  /** `onOutput` receives the inflated bytes, in order, in pieces of at most `outputChunk` bytes. */
  constructor(private readonly onOutput: (bytes: Buffer) => void, private readonly outputChunk = 64 * 1024) {
    this.out = Buffer.alloc(outputChunk);
  }

  /** Bytes inflated so far. */
  get inflated(): number {
    return this.total;
  }

  /** Compressed bytes received but not decoded yet (`inflate` stopped at its budget, or an item is incomplete). */
  get pendingInput(): number {
    return this.input.length - this.pos;
  }

  /** Feed compressed bytes; everything they complete is passed to `onOutput` before this returns. */
  write(chunk: Buffer): void {
    this.feed(chunk);
    this.inflate();
  }

  /** Queue compressed bytes without decoding them; `inflate` decodes. */
  feed(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    this.input = this.pos < this.input.length ? Buffer.concat([this.input.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /**
   * Decode queued input, passing the output to `onOutput`. Returns true when every complete item
   * is decoded, false when it stopped because about `maxOutput` bytes came out (at most one
   * match, 258 bytes, or one output chunk more): call again to go on.
   */
  inflate(maxOutput = Infinity): boolean {
    if (this.failed) throw this.failed;
    this.stopAt = this.total + maxOutput;
    let done = true;
    try {
      this.run();
    } catch (err) {
      if (err === BUDGET_SPENT) done = false;
      else if (err !== NEED_MORE) {
        this.flush();
        this.failed = err instanceof InflateError ? err : new InflateError(String(err));
        throw this.failed;
      }
    } finally {
      this.stopAt = Infinity;
    }
    this.flush();
    return done;
  }

  private run(): void {
    for (;;) {
      const b = this.block;
      switch (b.kind) {
        case 'header':
          this.transaction(() => this.readHeader());
          break;
        case 'stored':
          this.copyStored(b);
          break;
        case 'huffman':
          this.decodeSymbols(b.lit, b.dist);
          break;
        case 'finished':
          if (this.pos < this.input.length || this.bitCnt >= 8) throw new InflateError('data after the final DEFLATE block');
          throw NEED_MORE;
        default: {
          const never: never = b;
          return never;
        }
      }
    }
  }

  /** Run `step` atomically: if the input ends inside it, rewind to where it started and wait for more. */
  private transaction(step: () => void): void {
    const pos = this.pos;
    const bitBuf = this.bitBuf;
    const bitCnt = this.bitCnt;
    try {
      step();
    } catch (err) {
      if (err === NEED_MORE) {
        this.pos = pos;
        this.bitBuf = bitBuf;
        this.bitCnt = bitCnt;
      }
      throw err;
    }
  }

  private need(n: number): void {
    while (this.bitCnt < n) {
      if (this.pos >= this.input.length) throw NEED_MORE;
      this.bitBuf |= this.input[this.pos++] << this.bitCnt;
      this.bitCnt += 8;
    }
  }

  private bits(n: number): number {
    this.need(n);
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCnt -= n;
    return v;
  }

  private readHeader(): void {
    const final = this.bits(1) === 1;
    const type = this.bits(2);
    if (type === 0) {
      // RFC 1951 3.2.4: skip to a byte boundary, then LEN and its one's complement NLEN.
      this.bits(this.bitCnt % 8);
      const len = this.bits(16);
      const nlen = this.bits(16);
      if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length does not match its complement');
      this.block = { kind: 'stored', remaining: len };
    } else if (type === 1) {
      this.block = { kind: 'huffman', lit: FIXED.lit, dist: FIXED.dist };
    } else if (type === 2) {
      this.block = { kind: 'huffman', ...this.readDynamicCodes() };
    } else {
      throw new InflateError('invalid DEFLATE block type 3');
    }
    this.final = final;
  }

  private readDynamicCodes(): { lit: Huffman; dist: Huffman } {
    const hlit = this.bits(5) + 257;
    const hdist = this.bits(5) + 1;
    const hclen = this.bits(4) + 4;
    if (hlit > 286 || hdist > 30) throw new InflateError('too many length or distance codes');
    const clLengths = new Array<number>(19).fill(0);
    for (let i = 0; i < hclen; i++) clLengths[CL_ORDER[i]] = this.bits(3);
    const cl = buildHuffman(clLengths);
    const lengths: number[] = [];
    while (lengths.length < hlit + hdist) {
      const sym = this.decode(cl);
      if (sym < 16) lengths.push(sym);
      else {
        let repeat: number;
        let value = 0;
        if (sym === 16) {
          if (lengths.length === 0) throw new InflateError('length repeat with no previous length');
          value = lengths[lengths.length - 1];
          repeat = 3 + this.bits(2);
        } else if (sym === 17) repeat = 3 + this.bits(3);
        else repeat = 11 + this.bits(7);
        if (lengths.length + repeat > hlit + hdist) throw new InflateError('code lengths overflow');
        for (let i = 0; i < repeat; i++) lengths.push(value);
      }
    }
    if (lengths[256] === 0) throw new InflateError('no end-of-block code');
    return { lit: buildHuffman(lengths.slice(0, hlit)), dist: buildHuffman(lengths.slice(hlit)) };
  }

  /** Decode one symbol: peek as many bits as the table uses (fewer at the end of the input). */
  private decode(h: Huffman): number {
    while (this.bitCnt < h.bits && this.pos < this.input.length) {
      this.bitBuf |= this.input[this.pos++] << this.bitCnt;
      this.bitCnt += 8;
    }
    const entry = h.table[this.bitBuf & ((1 << h.bits) - 1)];
    const len = entry & 15;
    if (len === 0) {
      if (this.bitCnt < h.bits) throw NEED_MORE;
      throw new InflateError('invalid Huffman code');
    }
    if (len > this.bitCnt) throw NEED_MORE;
    this.bitBuf >>>= len;
    this.bitCnt -= len;
    return entry >> 4;
  }

  private copyStored(b: Extract<BlockState, { kind: 'stored' }>): void {
    // Whole bytes may still sit in the bit buffer (read ahead while decoding the previous block).
    while (b.remaining > 0 && this.bitCnt >= 8) {
      this.emit(this.bitBuf & 0xff);
      this.bitBuf >>>= 8;
      this.bitCnt -= 8;
      b.remaining -= 1;
    }
    while (b.remaining > 0 && this.pos < this.input.length) {
      if (this.total >= this.stopAt) throw BUDGET_SPENT;
      this.emit(this.input[this.pos++]);
      b.remaining -= 1;
    }
    if (b.remaining > 0) throw NEED_MORE;
    this.endBlock();
  }

  private decodeSymbols(lit: Huffman, dist: Huffman): void {
    for (;;) {
      // Between two symbols the state is whole: a good place to stop for the caller's budget.
      if (this.total >= this.stopAt) throw BUDGET_SPENT;
      let sym = 0;
      let length = 0;
      let distance = 0;
      // One symbol (literal, or length + distance with their extra bits) is the unit of progress.
      this.transaction(() => {
        sym = this.decode(lit);
        if (sym < 256 || sym === 256) return;
        const li = sym - 257;
        if (li >= LEN_BASE.length) throw new InflateError('invalid length code');
        length = LEN_BASE[li] + this.bits(LEN_EXTRA[li]);
        const ds = this.decode(dist);
        if (ds >= DIST_BASE.length) throw new InflateError('invalid distance code');
        distance = DIST_BASE[ds] + this.bits(DIST_EXTRA[ds]);
      });
      if (sym < 256) this.emit(sym);
      else if (sym === 256) {
        this.endBlock();
        return;
      } else {
        if (distance > this.total || distance > WINDOW) throw new InflateError('distance too far back');
        for (let i = 0; i < length; i++) this.emit(this.window[(this.total - distance) & (WINDOW - 1)]);
      }
    }
  }

  private endBlock(): void {
    this.block = this.final ? { kind: 'finished' } : { kind: 'header' };
  }

  private emit(byte: number): void {
    this.window[this.total & (WINDOW - 1)] = byte;
    this.total += 1;
    this.out[this.outLen++] = byte;
    if (this.outLen === this.outputChunk) this.flush();
  }

  private flush(): void {
    if (this.outLen === 0) return;
    const piece = Buffer.from(this.out.subarray(0, this.outLen));
    this.outLen = 0;
    this.onOutput(piece);
  }
}

/** Canonical Huffman code from code lengths (RFC 1951 3.2.2), as a table indexed by bit-reversed codes. */
function buildHuffman(lengths: readonly number[]): Huffman {
  const count = new Array<number>(16).fill(0);
  let bits = 1;
  for (const l of lengths) {
    count[l] += 1;
    if (l > bits) bits = l;
  }
  count[0] = 0;
  let left = 1;
  for (let l = 1; l < 16; l++) {
    left = left * 2 - count[l];
    if (left < 0) throw new InflateError('over-subscribed Huffman code');
  }
  const next = new Array<number>(16).fill(0);
  for (let l = 1, code = 0; l < 16; l++) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
  }
  const table = new Int32Array(1 << bits);
  lengths.forEach((len, sym) => {
    if (len === 0) return;
    const code = next[len]++;
    let rev = 0;
    for (let i = 0; i < len; i++) rev |= ((code >> i) & 1) << (len - 1 - i);
    for (let i = rev; i < table.length; i += 1 << len) table[i] = (sym << 4) | len;
  });
  return { table, bits };
}

/** RFC 1951 3.2.6: the fixed literal/length and distance codes. */
function fixedCodes(): { lit: Huffman; dist: Huffman } {
  const lit = [...new Array<number>(144).fill(8), ...new Array<number>(112).fill(9), ...new Array<number>(24).fill(7), ...new Array<number>(8).fill(8)];
  return { lit: buildHuffman(lit), dist: buildHuffman(new Array<number>(30).fill(5)) };
}
