import type { Socket } from 'node:net';
import { ConversationFramer } from '../imap/conversation-framer';
import { DEFAULT_LIMITS, type FramerLimits } from '../imap/direction-framer';
import type { Frame } from '../imap/frame';
import { frameText } from '../imap/frame-text';
import { nowUs } from '../proxy/clock';
import { framePieces, liveFramePieces, piecesMatch, type MatchRule } from './command-matcher';
import { NoticeBudget } from './notice-budget';
import { exchangeTitle, type DialogStep, type Exchange, type RecordedDialog } from './recorded-dialog';

/** How a replay answers. */
export interface ReplayOptions {
  rule: MatchRule;
  /** Multiplies the pace of IDLE updates: 2 sends them twice as fast as recorded. */
  speed: number;
  /** One line per notable thing (an unmatched command), without line end. */
  log: (line: string) => void;
}

/**
 * The live client's framer keeps 1 MiB of a line (commands up to that size compare byte for byte,
 * longer ones by that much and their length) and a digest of each literal, never the bytes.
 */
const LIVE_LIMITS: FramerLimits = { ...DEFAULT_LIMITS, linePreviewBytes: 1024 * 1024, literalDigest: 'sha256' };

/** Answers waiting in the socket beyond this stop reading from a client that does not read them. */
const MAX_PENDING_WRITE_BYTES = 1024 * 1024;

/** Characters of a client line quoted in a notice. */
const NOTICE_LINE_CHARS = 200;

/** Commands that change the byte layer; the replay speaks plain text only. */
const LAYER_VERBS = new Set(['STARTTLS', 'COMPRESS']);

/** The exchange the live client is in the middle of, waiting for its next client step. */
interface ActiveExchange {
  exchange: Exchange;
  liveTag: string;
  /** Index of the next step to play or expect. */
  pos: number;
  /** IDLE updates still to send, and the timer of the next one. */
  idle?: { queue: DialogStep[]; timer: NodeJS.Timeout | undefined; startMs: number; originUs: number };
}

/**
 * Plays the server side of a recorded session to one live client. Each live command is matched
 * with the first unanswered recorded command that fits the rule; the recorded responses follow
 * with the live tag in place of the recorded one, `+` requests come where the recording had them
 * (synchronizing literals, AUTHENTICATE), and IDLE updates come at their recorded offsets from the
 * IDLE command. The live client's bytes are framed by the same framer as the proxy's, which keeps
 * a bounded part of each line: memory and work stay linear in what the client sends, whatever it sends.
 */
export class ReplayConnection {
  private readonly framer: ConversationFramer;
  private readonly answered = new Set<number>();
  private active: ActiveExchange | undefined;
  private readonly notices: NoticeBudget;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly dialog: RecordedDialog,
    private readonly options: ReplayOptions,
    readonly id: number,
  ) {
    this.notices = new NoticeBudget(`#${id}`, options.log);
    this.framer = new ConversationFramer(id, (frame) => {
      if (frame.direction === 'client') this.onClientFrame(frame);
    }, LIVE_LIMITS);
    socket.on('data', (chunk: Buffer) => {
      this.framer.push('client', chunk, nowUs());
      // A client that sends bad lines without reading the answers must not fill our memory with them.
      if (!this.closed && socket.writableLength > MAX_PENDING_WRITE_BYTES) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    // Responses go out as soon as they are known; Nagle's delay would only blur recorded timings.
    socket.setNoDelay(true);
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
    for (const step of dialog.greeting) this.send(step.bytes);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.notices.finish();
    if (this.active?.idle?.timer) clearTimeout(this.active.idle.timer);
    this.socket.end();
  }

  private onClientFrame(frame: Frame): void {
    if (this.closed) return;
    switch (frame.kind) {
      case 'command': return this.onCommand(frame);
      case 'command-continuation':
      case 'sasl':
      case 'idle-done': return this.onContinuation(frame);
      default:
        this.notices.notice(() => `cannot parse client line: ${shown(frame)}`);
        this.send(Buffer.from('* BAD [imapdbg] not an IMAP command\r\n'));
    }
  }

  private onCommand(frame: Frame): void {
    const tag = frame.tag ?? '*';
    if (this.active?.exchange.verb === 'IDLE') return this.refuse(tag, frame, 'a command during IDLE (expected DONE)');
    if (this.active) this.abandon();
    if (LAYER_VERBS.has(frame.verb ?? '')) return this.refuse(tag, frame, `${frame.verb ?? ''} cannot be replayed (the replay speaks plain text only)`);
    const pieces = liveFramePieces(frame);
    const unanswered = this.dialog.exchanges.filter((e) => !this.answered.has(e.index));
    const found = unanswered.find((e) => {
      const first = e.steps[0];
      return first?.from === 'client' && piecesMatch(pieces, recordedPieces(first), this.options.rule, true);
    });
    if (!found) {
      const reason = unanswered.length === 0
        ? `all ${this.dialog.exchanges.length} recorded commands were already answered`
        : `no unanswered recorded command matches under --match ${this.options.rule} (next recorded: ${exchangeTitle(unanswered[0])})`;
      return this.refuse(tag, frame, reason);
    }
    this.answered.add(found.index);
    this.active = { exchange: found, liveTag: tag, pos: 1 };
    this.advance(this.active);
  }

  private onContinuation(frame: Frame): void {
    const active = this.active;
    const expected = active?.exchange.steps[active.pos];
    if (!active || !expected || expected.from !== 'client') {
      this.notices.notice(() => `unexpected ${frame.kind} from the client: ${shown(frame)}`);
      this.send(Buffer.from(`* BAD [imapdbg] no recorded response: unexpected ${frame.kind}\r\n`));
      return;
    }
    const same = frame.kind === 'idle-done' ? expected.frame.kind === 'idle-done'
      : expected.frame.kind === frame.kind
        && piecesMatch(liveFramePieces(frame), recordedPieces(expected), this.options.rule, false);
    if (!same) {
      const tag = active.liveTag;
      this.abandon();
      return this.refuse(tag, frame, `this ${frame.kind} differs from the recorded one under --match ${this.options.rule}`);
    }
    if (active.idle) {
      // DONE ends IDLE: updates still waiting for their time are sent now, before the tagged OK,
      // so the client sees every recorded answer whatever the pace.
      if (active.idle.timer) clearTimeout(active.idle.timer);
      for (const step of active.idle.queue.splice(0)) this.sendStep(active, step);
      active.idle = undefined;
    }
    active.pos += 1;
    this.advance(active);
  }

  /** Plays server steps from the current position up to the next client step or the end. */
  private advance(active: ActiveExchange): void {
    const steps = active.exchange.steps;
    const next = steps.findIndex((s, i) => i >= active.pos && s.from === 'client');
    const end = next < 0 ? steps.length : next;
    const serverSteps = steps.slice(active.pos, end);
    active.pos = end;
    if (active.exchange.verb === 'IDLE' && next >= 0) {
      active.idle = { queue: serverSteps, timer: undefined, startMs: Date.now(), originUs: steps[0].frame.timeUs };
      this.scheduleIdle(active);
      return;
    }
    this.socket.cork();
    for (const step of serverSteps) this.sendStep(active, step);
    this.socket.uncork();
    if (next >= 0) return;
    this.active = undefined;
    if (active.exchange.verb === 'LOGOUT') this.close();
  }

  /** Sends IDLE updates one after the other at their recorded offset from the IDLE command. */
  private scheduleIdle(active: ActiveExchange): void {
    const idle = active.idle;
    const step = idle?.queue[0];
    if (!idle || !step) return;
    const dueMs = idle.startMs + (step.frame.timeUs - idle.originUs) / 1000 / this.options.speed;
    idle.timer = setTimeout(() => {
      idle.timer = undefined;
      if (this.closed || active.idle !== idle) return;
      idle.queue.shift();
      this.sendStep(active, step);
      this.scheduleIdle(active);
    }, Math.max(0, dueMs - Date.now()));
  }

  private sendStep(active: ActiveExchange, step: DialogStep): void {
    const { frame, bytes } = step;
    const recordedTag = active.exchange.tag;
    if (frame.kind === 'tagged' && frame.tag === recordedTag && active.liveTag !== recordedTag) {
      this.send(Buffer.concat([Buffer.from(active.liveTag, 'latin1'), bytes.subarray(recordedTag.length)]));
    } else {
      this.send(bytes);
    }
  }

  /** The exchange in progress stops here; it may be matched again by a later command. */
  private abandon(): void {
    const active = this.active;
    if (!active) return;
    if (active.idle?.timer) clearTimeout(active.idle.timer);
    this.answered.delete(active.exchange.index);
    this.active = undefined;
  }

  private refuse(tag: string, frame: Frame, reason: string): void {
    this.notices.notice(() => `no recorded response for ${shown(frame)}: ${reason}`);
    this.send(Buffer.from(`${tag} BAD [imapdbg] no recorded response: ${reason.replace(/[\r\n]/g, ' ')}\r\n`, 'latin1'));
  }

  private send(bytes: Buffer): void {
    if (this.closed || bytes.length === 0) return;
    // The framer follows the server side too, so SASL and literal states end where they should.
    this.framer.push('server', bytes, nowUs());
    this.socket.write(bytes);
  }
}

/** A recorded client step as the matcher sees it, its lines cut where the live framer cuts them. */
function recordedPieces(step: DialogStep): ReturnType<typeof framePieces> {
  return framePieces(step.frame, step.bytes, LIVE_LIMITS.linePreviewBytes);
}

/** A client frame in a notice: secrets masked, bounded. */
function shown(frame: Frame): string {
  return frameText(frame, { revealSecrets: false, maxLineChars: NOTICE_LINE_CHARS });
}
