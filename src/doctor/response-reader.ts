/** One server response as doctor keeps it: bounded text, literal bodies left out. */
export interface ServerResponse {
  /** The response's lines joined, each literal body replaced by `«N bytes»`, at most `maxKeptBytes` of line text. */
  text: string;
  /** Some of the response's text was dropped (an overlong line). */
  truncated: boolean;
}

const LITERAL_AT_END = /~?\{(\d{1,12})\+?\}\r?$/;
/** Enough of a line's end to find a `{N}` announcement even when the line itself was cut. */
const TAIL_BYTES = 24;

/**
 * Splits the server's byte stream into responses: lines, with any literal bodies announced at a
 * line's end skipped (never scanned, never kept). Memory stays bounded: at most `maxKeptBytes`
 * of a response's text plus a short tail, whatever the server sends (an endless line is counted
 * and dropped, not kept).
 */
export class ResponseReader {
  private kept: Buffer[] = [];
  private keptLen = 0;
  private truncated = false;
  private tail = '';
  private literalLeft = 0;

  constructor(private readonly onResponse: (response: ServerResponse) => void, private readonly maxKeptBytes = 16 * 1024) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, chunk.length - pos);
        this.literalLeft -= n;
        pos += n;
        continue;
      }
      const lf = chunk.indexOf(10, pos);
      const end = lf === -1 ? chunk.length : lf + 1;
      this.keep(chunk.subarray(pos, end));
      pos = end;
      if (lf !== -1) this.lineEnded();
    }
  }

  private keep(bytes: Buffer): void {
    // Only the chunk's last bytes are decoded: an endless line costs no per-chunk string.
    this.tail = (this.tail + bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)).toString('latin1')).slice(-TAIL_BYTES);
    const room = this.maxKeptBytes - this.keptLen;
    if (room <= 0) {
      if (bytes.length > 0) this.truncated = true;
      return;
    }
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (part.length < bytes.length) this.truncated = true;
    this.kept.push(Buffer.from(part));
    this.keptLen += part.length;
  }

  private lineEnded(): void {
    const line = this.tail.replace(/\n$/, '');
    this.tail = '';
    // The line end may have come in two chunks (CR in one, LF in the next): strip it from the whole.
    let kept = Buffer.concat(this.kept);
    const keptWhole = !this.truncated;
    if (keptWhole && kept[kept.length - 1] === 10) kept = kept.subarray(0, kept.length - 1);
    if (keptWhole && kept[kept.length - 1] === 13) kept = kept.subarray(0, kept.length - 1);
    this.kept = [kept];
    this.keptLen = kept.length;
    const literal = LITERAL_AT_END.exec(line);
    if (literal) {
      const size = Number(literal[1]);
      this.literalLeft = size;
      this.keep(Buffer.from(`«${size} bytes»`));
      this.tail = '';
      return;
    }
    const text = kept.toString('utf8');
    const truncated = this.truncated;
    this.kept = [];
    this.keptLen = 0;
    this.truncated = false;
    this.onResponse({ text, truncated });
  }
}
