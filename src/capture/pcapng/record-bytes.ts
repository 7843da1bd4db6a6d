/**
 * A growable byte buffer that metadata records are encoded into as JSON text, straight from their
 * values. Why not strings: a frame record built as a string (two per NOOP round trip) was 1.5 KB of
 * garbage, and every number in a template literal went through V8's number-to-string cache, an
 * old-space table: each unique timestamp, offset or sequence number put a new string there, which
 * made scavenges slower (old-to-new references) and promoted strings that then needed mark-compacts
 * (stop 16: 88 KB promoted per scavenge while recording NOOPs, none without recording). Digits
 * written here never become strings.
 */
const INITIAL_BYTES = 64 * 1024;
/**
 * A frame may keep up to 1 MiB of text, and JSON escapes can make that ~6 MB: a buffer grown that
 * far is not kept for the life of the capture.
 */
const GROWN_BYTES = 1024 * 1024;

export class RecordBytes {
  private buf: Buffer;
  /** Bytes written so far, from offset 0. */
  length = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** The bytes written (shares memory: valid until the next write or reset). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** The underlying buffer (its first `length` bytes are the records); replaced when it grows. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Forgets everything written; a buffer grown past GROWN_BYTES (one huge record) is let go. */
  reset(): void {
    this.length = 0;
    if (this.buf.length > GROWN_BYTES) this.buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  }

  /** Forgets the first `n` bytes written; the rest moves to the front. */
  dropFront(n: number): void {
    if (n >= this.length) {
      this.reset();
      return;
    }
    this.buf.copyWithin(0, n, this.length);
    this.length -= n;
  }

  /** Text known to be ASCII (the encoder's own punctuation and keys). */
  ascii(text: string): void {
    this.room(text.length);
    const buf = this.buf;
    let at = this.length;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Any text, as UTF-8 (a lone surrogate becomes U+FFFD, as Buffer.from does). */
  utf8(text: string): void {
    this.room(Buffer.byteLength(text, 'utf8'));
    this.length += this.buf.write(text, this.length, 'utf8');
  }

  /**
   * A JSON value as JSON.stringify writes it. A string of printable ASCII without `"` or `\`
   * (nearly every tag, verb and NOOP line) is copied byte by byte; anything else goes through
   * JSON.stringify (escapes, non-ASCII, and values that are not strings at all).
   */
  json(value: unknown): void {
    if (typeof value === 'string' && value.length < 4096 && isPlainJsonText(value)) {
      this.ascii('"');
      this.ascii(value);
      this.ascii('"');
      return;
    }
    this.utf8(String(JSON.stringify(value)));
  }

  /** A finite number as JSON.stringify writes it: digits by hand for a non-negative safe integer. */
  number(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) {
      this.ascii(String(JSON.stringify(n)));
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(digits);
    const buf = this.buf;
    let at = this.length + digits;
    this.length = at;
    let x = n;
    do {
      const q = Math.floor(x / 10);
      buf[--at] = 0x30 + (x - q * 10);
      x = q;
    } while (x > 0);
  }

  /** `head` (ASCII: the separator and key, `,"t":`), then a number as `number` writes it. */
  numberField(head: string, n: number): void {
    this.ascii(head);
    this.number(n);
  }

  /** `head` (ASCII: the separator and key), then a JSON value as `json` writes it. */
  jsonField(head: string, value: unknown): void {
    this.ascii(head);
    this.json(value);
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

/** Printable ASCII without `"` or `\`: what JSON.stringify quotes unchanged. */
function isPlainJsonText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
