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
   * forwarding itself costs, so the forwarding path leaves it off (`none`: `sha256` stays empty) and
   * readers that want a digest compute it from the bytes they hold (the capture keeps every byte).
   * The replay's live side turns it on: it compares big literals it does not keep.
   */
  literalDigest?: 'sha256' | 'none';
}

export const DEFAULT_LIMITS: FramerLimits = { linePreviewBytes: 64 * 1024, literalPreviewBytes: 4 * 1024, literalDigest: 'none' };

/**
 * A segment whose lines keep announcing literals (`x {0+}` CRLF, again and again) never ends by
 * itself; past this many parts, or this many bytes of kept text and previews, the framer cuts it
 * and the rest continues as a new frame, so one frame's memory stays bounded.
 */
export const SEGMENT_BOUNDS = { parts: 1000, keptBytes: 1024 * 1024 } as const;

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
  /** True when this segment is the rest of one that `cutSegment` (or SEGMENT_BOUNDS) ended early. */
  continuesCut: boolean;
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

/** An empty tail, shared (never written to). */
const NO_BYTES = Buffer.alloc(0);

type State =
  | { mode: 'line' }
  | { mode: 'literal'; info: LiteralInfo; remaining: number; hash: Hash | undefined; preview: Buffer[]; previewLen: number; firstByteUs: number };

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
  private lineTail = NO_BYTES;
  private lineLen = 0;
  private lineStart = 0;
  private position = 0;
  private parts: FramePart[] = [];
  private segStart = 0;
  private segStartUs = 0;
  private segOpen = false;
  private continuesSync = false;
  private continuesCut = false;
  /** Time of the current line's first byte, and of the last byte of the last complete part. */
  private lineStartUs = 0;
  private partsEndUs = 0;
  /** Bytes of text and previews the open segment's parts keep (see SEGMENT_BOUNDS). */
  private keptBytes = 0;

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

  /** The first line of the segment under way once it is complete, unless the segment continues an earlier one. */
  get openHead(): { line: Readonly<LineInfo>; continues: boolean } | undefined {
    const first = this.parts[0];
    if (!this.segOpen || first === undefined) return undefined;
    const continues = this.continuesSync || this.continuesCut;
    return first.type === 'line' ? { line: first.line, continues } : { line: { text: '', length: 0, offset: 0, truncated: false, ending: 'none' }, continues };
  }

  /**
   * End the segment under way before its end, after its last complete line or literal, so that what
   * the peer sent so far becomes a frame now (the server answered a command whose LITERAL+ body is
   * still coming). A literal in progress goes whole to the rest, as after a synchronizing split;
   * the rest is a segment with `continuesCut`. Returns false when there is nothing complete to cut.
   */
  cutSegment(): boolean {
    if (!this.segOpen || this.parts.length === 0) return false;
    const st = this.state;
    let cutAt = this.position;
    let restStartUs: number | undefined;
    if (st.mode === 'literal') {
      cutAt = st.info.offset;
      if (st.info.received > 0) restStartUs = st.firstByteUs;
    } else if (this.lineLen > 0) {
      cutAt = this.lineStart;
      restStartUs = this.lineStartUs;
    }
    const segment: RawSegment = {
      direction: this.direction,
      parts: this.parts,
      offset: this.segStart,
      length: cutAt - this.segStart,
      startUs: this.segStartUs,
      endUs: this.partsEndUs,
      continuesSyncLiteral: this.continuesSync,
      awaitsContinuation: false,
      continuesCut: this.continuesCut,
    };
    this.parts = [];
    this.keptBytes = 0;
    this.continuesSync = false;
    this.continuesCut = true;
    this.segOpen = restStartUs !== undefined;
    this.segStart = cutAt;
    this.segStartUs = restStartUs ?? 0;
    this.hooks.segment(segment);
    return true;
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
        pos += this.consumeLiteral(st, chunk, pos, timeUs);
        continue;
      }
      const lf = chunk.indexOf(10, pos);
      const end = lf === -1 ? chunk.length : lf + 1;
      if (lf !== -1 && this.lineLen === 0 && end - pos <= this.limits.linePreviewBytes) {
        // The common case: a whole line inside one chunk. It is read from the chunk itself, with no
        // copies into the line buffers (they are for lines that span chunks).
        this.lineStart = this.position;
        this.position += end - pos;
        const stop = this.finishWholeLine(chunk, pos, end, timeUs);
        pos = end;
        if (stop === 'stop') return pos;
        continue;
      }
      this.appendLineBytes(chunk, pos, end, timeUs);
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
    this.keptBytes = 0;
    this.continuesSync = false;
    this.continuesCut = false;
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

  private consumeLiteral(st: Extract<State, { mode: 'literal' }>, chunk: Buffer, pos: number, timeUs: number): number {
    const n = Math.min(st.remaining, chunk.length - pos);
    if (st.info.received === 0) {
      st.firstByteUs = timeUs;
      this.hooks.literalBodyStarts?.(st.info);
    }
    if (st.remaining === 0) {
      // The empty body of a synchronizing `{0}`: the client's next byte is past it.
      this.partsEndUs = timeUs;
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
      this.partsEndUs = timeUs;
      this.closeLiteral(st);
      this.state = { mode: 'line' };
    }
    return n;
  }

  private closeLiteral(st: Extract<State, { mode: 'literal' }>): void {
    st.info.sha256 = st.hash?.digest('hex') ?? '';
    st.info.preview = Buffer.concat(st.preview).toString('latin1');
    this.parts.push({ type: 'literal', literal: st.info });
    this.keptBytes += st.previewLen;
  }

  private appendLineBytes(chunk: Buffer, start: number, end: number, timeUs: number): void {
    if (this.lineLen === 0) {
      this.lineStart = this.position;
      this.lineStartUs = timeUs;
    }
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
    this.lineTail = NO_BYTES;
    this.lineLen = 0;
    return line;
  }

  private finishLine(timeUs: number): void | 'stop' {
    const tail = this.lineTail;
    const ending: LineInfo['ending'] = tail.length >= 2 && tail[tail.length - 2] === 13 ? 'crlf' : 'lf';
    const body = tail.subarray(0, tail.length - (ending === 'crlf' ? 2 : 1)).toString('latin1');
    return this.lineDone(this.takeLine(ending), parseLiteralAnnouncement(body), timeUs);
  }

  /** A line that ends in the chunk it started in (`end` just after its LF), no longer than the preview limit. */
  private finishWholeLine(chunk: Buffer, start: number, end: number, timeUs: number): void | 'stop' {
    const ending: LineInfo['ending'] = end - start >= 2 && chunk[end - 2] === 13 ? 'crlf' : 'lf';
    const textEnd = end - (ending === 'crlf' ? 2 : 1);
    const text = chunk.toString('latin1', start, textEnd);
    // An announcement ends in `}`; the pattern looks at most 30 characters back, as finishLine's tail.
    const announcement = chunk[textEnd - 1] === 0x7d ? parseLiteralAnnouncement(text.length > 30 ? text.slice(-30) : text) : undefined;
    this.lineStartUs = timeUs;
    return this.lineDone({ text, length: end - start, offset: this.lineStart, truncated: false, ending }, announcement, timeUs);
  }

  private lineDone(line: LineInfo, announcement: LiteralAnnouncement | undefined, timeUs: number): void | 'stop' {
    this.parts.push({ type: 'line', line });
    this.keptBytes += line.text.length;
    this.partsEndUs = timeUs;
    if (!announcement) return this.emit(timeUs, false);
    const literal: Extract<State, { mode: 'literal' }> = {
      mode: 'literal',
      info: literalInfo(announcement, this.position),
      remaining: announcement.size,
      hash: this.limits.literalDigest === 'none' ? undefined : createHash('sha256'),
      preview: [],
      previewLen: 0,
      firstByteUs: timeUs,
    };
    const sync = this.hooks.gateLiteral(announcement) === 'sync';
    if (announcement.size === 0 && !sync) {
      // `{0+}` is legal and complete at once.
      this.closeLiteral(literal);
      this.cutIfTooBig();
      return undefined;
    }
    // A synchronizing `{0}` waits like any other: a tagged NO/BAD may still cancel it, and it
    // completes only when the client goes on (see consumeLiteral).
    this.state = literal;
    if (sync) return this.emit(timeUs, true);
    this.cutIfTooBig();
    return undefined;
  }

  private cutIfTooBig(): void {
    if (this.parts.length >= SEGMENT_BOUNDS.parts || this.keptBytes >= SEGMENT_BOUNDS.keptBytes) this.cutSegment();
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
      continuesCut: this.continuesCut,
    };
    this.parts = [];
    this.keptBytes = 0;
    this.segOpen = false;
    this.continuesSync = awaitsContinuation;
    this.continuesCut = false;
    return this.hooks.segment(segment);
  }
}

function literalInfo(a: LiteralAnnouncement, offset: number): LiteralInfo {
  return { size: a.size, received: 0, form: a.form, binary: a.binary, offset, sha256: '', preview: '' };
}
