import { createHash, type Hash } from 'node:crypto';
import type { Direction, FramePart, LineInfo, LiteralInfo } from './frame';
import { parseLiteralAnnouncement, type LiteralAnnouncement } from './literal-announcement';

/** Size limits of one direction's framer. Named options, like imapflow's `maxLineLength`. */
export interface FramerLimits {
  /** Bytes of a line kept as text; the rest of an overlong line is only counted. */
  linePreviewBytes: number;
  /** Bytes of a literal body kept as its preview. */
  literalPreviewBytes: number;
  /**
   * Digest of each literal body. SHA-256 costs ~0.7 s of CPU per GiB here, more than half of what
   * forwarding itself costs; `none` leaves `sha256` empty for the fastest pass-through.
   */
  literalDigest?: 'sha256' | 'none';
}

export const DEFAULT_LIMITS: FramerLimits = { linePreviewBytes: 64 * 1024, literalPreviewBytes: 4 * 1024, literalDigest: 'sha256' };

/** A frame's raw pieces as the direction framer assembles them; the conversation gives it meaning. */
export interface RawSegment {
  direction: Direction;
  parts: FramePart[];
  offset: number;
  length: number;
  startUs: number;
  endUs: number;
  /** True when this segment starts with the body of a synchronizing literal announced by the previous one. */
  continuesSyncLiteral: boolean;
  /** The segment ends with a synchronizing literal announcement whose body has not been sent yet. */
  awaitsContinuation: boolean;
}

/** How the owner wants a just-announced literal treated. */
export type LiteralGate = 'inline' | 'sync';

/** Callbacks from the framer to its owner (the conversation framer). */
export interface DirectionFramerHooks {
  /** A literal was announced at the end of a line: `sync` ends the segment there (the peer must wait for `+`). */
  gateLiteral(announcement: LiteralAnnouncement): LiteralGate;
  /** The first byte of a literal body arrived (before it is consumed). */
  literalBodyStarts?(literal: Readonly<LiteralInfo>): void;
  /** A segment is complete. Return `'stop'` to stop consuming the current chunk right after it. */
  segment(segment: RawSegment): void | 'stop';
}

type State =
  | { mode: 'line' }
  | { mode: 'literal'; info: LiteralInfo; remaining: number; hash: Hash | undefined; preview: Buffer[]; previewLen: number };

/**
 * Streaming framer for one direction (the fragmentizer of imap-codec, plus segment assembly).
 *
 * It splits bytes into lines and literal bodies and groups them into segments, over any chunking:
 * the segments, and the offsets and lengths in them, never depend on where the chunks were cut.
 * Memory stays bounded: a line keeps at most `linePreviewBytes` plus a short tail (to spot a literal
 * announcement at its end), a literal keeps a preview and a running digest. Bytes inside a literal
 * are never scanned for line ends or markers.
 */
export class DirectionFramer {
  private state: State = { mode: 'line' };
  /** Bytes of the current line kept as text (bounded). */
  private lineHead: Buffer[] = [];
  private lineHeadLen = 0;
  /** The last bytes of the current line, to find `{N}` at the end of an overlong line. */
  private lineTail = Buffer.alloc(0);
  private lineLen = 0;
  private lineStart = 0;
  private position = 0;
  private parts: FramePart[] = [];
  private segStart = 0;
  private segStartUs = 0;
  private segOpen = false;
  private continuesSync = false;

  constructor(
    readonly direction: Direction,
    private readonly hooks: DirectionFramerHooks,
    private readonly limits: FramerLimits = DEFAULT_LIMITS,
  ) {}

  /** Bytes consumed so far: the offset of the next byte in this direction's stream. */
  get offset(): number {
    return this.position;
  }

  /** True while the framer is inside a literal body. */
  get inLiteral(): boolean {
    return this.state.mode === 'literal';
  }

  /** Body bytes still to come of the literal being received (0 outside a literal). */
  get literalRemaining(): number {
    return this.state.mode === 'literal' ? this.state.remaining : 0;
  }

  /** The literal being received, if any (for checks such as "body sent before the `+`"). */
  get currentLiteral(): Readonly<LiteralInfo> | undefined {
    return this.state.mode === 'literal' ? this.state.info : undefined;
  }

  /** True when no segment is under way (between messages). */
  get idle(): boolean {
    return !this.segOpen && this.state.mode === 'line' && this.lineLen === 0;
  }

  /**
   * Consume a chunk. Returns how many bytes were consumed: all of them, unless a `segment` hook
   * returned `'stop'` (the caller then hands the rest to whatever layer comes next, e.g. TLS).
   */
  push(chunk: Buffer, timeUs: number): number {
    let pos = 0;
    while (pos < chunk.length) {
      if (!this.segOpen) this.openSegment(timeUs);
      const st = this.state;
      if (st.mode === 'literal') {
        pos += this.consumeLiteral(st, chunk, pos);
        continue;
      }
      const lf = chunk.indexOf(10, pos);
      const end = lf === -1 ? chunk.length : lf + 1;
      this.appendLineBytes(chunk, pos, end);
      this.position += end - pos;
      pos = end;
      if (lf !== -1 && this.finishLine(timeUs) === 'stop') return pos;
    }
    return pos;
  }

  /**
   * Abandon a synchronizing literal the server refused with a tagged NO/BAD before any of its body
   * arrived (RFC 3501 2.2.1). The next bytes start a new command. Returns false when too late.
   */
  cancelPendingLiteral(): boolean {
    const st = this.state;
    if (st.mode !== 'literal' || st.info.received > 0) return false;
    this.state = { mode: 'line' };
    this.segOpen = false;
    this.parts = [];
    this.continuesSync = false;
    return true;
  }

  /** The connection ended: flush a partial line or literal as a last segment. */
  end(timeUs: number): void {
    const st = this.state;
    if (st.mode === 'literal') {
      this.closeLiteral(st);
      this.state = { mode: 'line' };
    }
    if (this.lineLen > 0) this.parts.push({ type: 'line', line: this.takeLine('none') });
    if (this.parts.length > 0) this.emit(timeUs, false);
  }

  private openSegment(timeUs: number): void {
    this.segOpen = true;
    this.segStart = this.position;
    this.segStartUs = timeUs;
  }

  private consumeLiteral(st: Extract<State, { mode: 'literal' }>, chunk: Buffer, pos: number): number {
    const n = Math.min(st.remaining, chunk.length - pos);
    if (st.info.received === 0) this.hooks.literalBodyStarts?.(st.info);
    if (st.remaining === 0) {
      // The empty body of a synchronizing `{0}`: the client's next byte is past it.
      this.closeLiteral(st);
      this.state = { mode: 'line' };
      return 0;
    }
    const slice = chunk.subarray(pos, pos + n);
    st.hash?.update(slice);
    if (st.previewLen < this.limits.literalPreviewBytes) {
      const keep = slice.subarray(0, this.limits.literalPreviewBytes - st.previewLen);
      st.preview.push(Buffer.from(keep)); // copy: the chunk may be reused by the caller
      st.previewLen += keep.length;
    }
    st.remaining -= n;
    st.info.received += n;
    this.position += n;
    if (st.remaining === 0) {
      this.closeLiteral(st);
      this.state = { mode: 'line' };
    }
    return n;
  }

  private closeLiteral(st: Extract<State, { mode: 'literal' }>): void {
    st.info.sha256 = st.hash?.digest('hex') ?? '';
    st.info.preview = Buffer.concat(st.preview).toString('latin1');
    this.parts.push({ type: 'literal', literal: st.info });
  }

  private appendLineBytes(chunk: Buffer, start: number, end: number): void {
    if (this.lineLen === 0) this.lineStart = this.position;
    const room = this.limits.linePreviewBytes - this.lineHeadLen;
    if (room > 0) {
      const keep = chunk.subarray(start, Math.min(end, start + room));
      this.lineHead.push(Buffer.from(keep));
      this.lineHeadLen += keep.length;
    }
    // Keep a 32-byte tail: enough for `~{9007199254740991+}\r\n`, the longest announcement we accept.
    const piece = chunk.subarray(Math.max(start, end - 32), end);
    this.lineTail = Buffer.concat([this.lineTail, piece]).subarray(-32);
    this.lineLen += end - start;
  }

  private takeLine(ending: LineInfo['ending']): LineInfo {
    const head = Buffer.concat(this.lineHead);
    const strip = ending === 'crlf' ? 2 : ending === 'lf' ? 1 : 0;
    const truncated = this.lineLen > this.lineHeadLen;
    const textBytes = truncated ? head : head.subarray(0, head.length - strip);
    const line: LineInfo = {
      text: textBytes.toString('latin1'),
      length: this.lineLen,
      offset: this.lineStart,
      truncated,
      ending,
    };
    this.lineHead = [];
    this.lineHeadLen = 0;
    this.lineTail = Buffer.alloc(0);
    this.lineLen = 0;
    return line;
  }

  private finishLine(timeUs: number): void | 'stop' {
    const tail = this.lineTail;
    const ending: LineInfo['ending'] = tail.length >= 2 && tail[tail.length - 2] === 13 ? 'crlf' : 'lf';
    const body = tail.subarray(0, tail.length - (ending === 'crlf' ? 2 : 1)).toString('latin1');
    const announcement = parseLiteralAnnouncement(body);
    this.parts.push({ type: 'line', line: this.takeLine(ending) });
    if (!announcement) return this.emit(timeUs, false);
    const literal: Extract<State, { mode: 'literal' }> = {
      mode: 'literal',
      info: literalInfo(announcement, this.position),
      remaining: announcement.size,
      hash: this.limits.literalDigest === 'none' ? undefined : createHash('sha256'),
      preview: [],
      previewLen: 0,
    };
    const sync = this.hooks.gateLiteral(announcement) === 'sync';
    if (announcement.size === 0 && !sync) {
      // `{0+}` is legal and complete at once.
      this.closeLiteral(literal);
      return undefined;
    }
    // A synchronizing `{0}` waits like any other: a tagged NO/BAD may still cancel it, and it
    // completes only when the client goes on (see consumeLiteral).
    this.state = literal;
    return sync ? this.emit(timeUs, true) : undefined;
  }

  private emit(timeUs: number, awaitsContinuation: boolean): void | 'stop' {
    const segment: RawSegment = {
      direction: this.direction,
      parts: this.parts,
      offset: this.segStart,
      length: this.position - this.segStart,
      startUs: this.segStartUs,
      endUs: timeUs,
      continuesSyncLiteral: this.continuesSync,
      awaitsContinuation,
    };
    this.parts = [];
    this.segOpen = false;
    this.continuesSync = awaitsContinuation;
    return this.hooks.segment(segment);
  }
}

function literalInfo(a: LiteralAnnouncement, offset: number): LiteralInfo {
  return { size: a.size, received: 0, form: a.form, binary: a.binary, offset, sha256: '', preview: '' };
}
