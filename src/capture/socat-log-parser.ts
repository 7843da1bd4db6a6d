import { ImportFormatError } from './import-format-error';

// `socat -v` writes, for every block it forwards, a header line and then the block as text:
//   > 2024/01/01 12:00:00.000123456  length=17 from=0 to=16
// `>` is data from socat's first address to its second, `<` the other way; from/to count the
// direction's bytes (to = from + length - 1). In the text, CR shows as `\r` and a backslash as
// `\\`; LF and tab stay as they are; other non-printable bytes show as `.` (lossy: use -x for
// exact bytes). A block that does not end with LF is followed directly by the next header.
const HEADER = /^([<>]) ([0-9]{4})\/([0-9]{2})\/([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]+)  length=([0-9]+) from=([0-9]+) to=([0-9]+)$/;
/** A header is ~60 bytes; a longer "header" is not one (and must not be buffered). */
const MAX_HEADER_BYTES = 200;

/** One block's header line. */
export interface SocatBlockHeader {
  mark: '>' | '<';
  /** Line of the header in the log, from 1. */
  line: number;
  length: number;
  /** Local date and time: year, month (1-12), day, hours, minutes, seconds. */
  clock: [number, number, number, number, number, number];
  /** The digits after the seconds' point: microseconds padded to 9 (socat 1.7) or nanoseconds. */
  fraction: string;
}

/**
 * A streaming `socat -v` parser: push chunks of any size, get each block's header and then its
 * decoded bytes in pieces as they arrive. It holds at most one header line, so memory does not grow
 * with the log or with a block's announced length. Format errors throw ImportFormatError naming the
 * file, the line and what was expected.
 */
export class SocatLogParser {
  private inBody = false;
  private header: Buffer[] = [];
  private headerLength = 0;
  private remaining = 0;
  private block: SocatBlockHeader | undefined;
  private backslash = false;
  private line = 1;
  private readonly next = { '>': 0, '<': 0 };

  constructor(
    private readonly path: string,
    private readonly onBlock: (header: SocatBlockHeader) => void,
    private readonly onBytes: (bytes: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.inBody) pos = this.decode(chunk, pos);
      else pos = this.takeHeader(chunk, pos);
    }
  }

  /** The log ended: a block cut short or a partial header is an error. */
  end(): void {
    if (this.backslash) {
      // A lone backslash at the very end stands for itself.
      this.backslash = false;
      this.remaining -= 1;
      this.onBytes(Buffer.from('\\'));
    }
    if (this.inBody && this.remaining > 0 && this.block) {
      throw new ImportFormatError(`${this.path}:${this.line}: expected ${this.remaining} more bytes of the block announced at line ${this.block.line} (length=${this.block.length}); the log ends first`);
    }
    if (!this.inBody && this.headerLength > 0) throw this.notAHeader();
  }

  private notAHeader(): ImportFormatError {
    return new ImportFormatError(`${this.path}:${this.line}: expected a socat -v block header like "> 2024/01/01 12:00:00.000000  length=17 from=0 to=16" (socat -v, not -x)`);
  }

  private takeHeader(chunk: Buffer, pos: number): number {
    const lf = chunk.indexOf(10, pos);
    const end = lf === -1 ? chunk.length : lf;
    if (this.headerLength + (end - pos) > MAX_HEADER_BYTES) throw this.notAHeader();
    this.header.push(Buffer.from(chunk.subarray(pos, end)));
    this.headerLength += end - pos;
    if (lf === -1) return chunk.length;
    const text = Buffer.concat(this.header).toString('latin1');
    this.header = [];
    this.headerLength = 0;
    const m = HEADER.exec(text);
    if (!m) throw this.notAHeader();
    const mark = m[1] as '>' | '<';
    const [length, from, to] = [Number(m[9]), Number(m[10]), Number(m[11])];
    if (!Number.isSafeInteger(to) || from !== this.next[mark] || to !== from + length - 1) {
      throw new ImportFormatError(`${this.path}:${this.line}: expected from=${this.next[mark]} to=${this.next[mark] + length - 1} for ${length} more bytes in the "${mark}" direction, got from=${from} to=${to}`);
    }
    this.next[mark] += length;
    const clock = [2, 3, 4, 5, 6, 7].map((i) => Number(m[i])) as SocatBlockHeader['clock'];
    this.block = { mark, line: this.line, length, clock, fraction: m[8] };
    this.line += 1;
    this.onBlock(this.block);
    this.inBody = length > 0;
    this.remaining = length;
    return lf + 1;
  }

  /** Decodes body bytes (`\r` is CR, `\\` a backslash) up to the block's end or the chunk's. */
  private decode(chunk: Buffer, start: number): number {
    const out = Buffer.allocUnsafe(Math.min(this.remaining, chunk.length - start));
    let n = 0;
    let pos = start;
    while (pos < chunk.length && this.remaining > 0) {
      const c = chunk[pos];
      if (this.backslash) {
        this.backslash = false;
        if (c === 0x72) { out[n++] = 0x0d; pos += 1; }
        else if (c === 0x5c) { out[n++] = 0x5c; pos += 1; }
        else out[n++] = 0x5c; // a backslash before anything else stands for itself; c is read next
        this.remaining -= 1;
        continue;
      }
      pos += 1;
      if (c === 0x5c) { this.backslash = true; continue; }
      if (c === 0x0a) this.line += 1;
      out[n++] = c;
      this.remaining -= 1;
    }
    if (n > 0) this.onBytes(out.subarray(0, n));
    if (this.remaining === 0 && !this.backslash) this.inBody = false;
    return pos;
  }
}
