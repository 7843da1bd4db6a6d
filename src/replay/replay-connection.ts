import type { Socket } from 'node:net';
import { ConversationFramer } from '../imap/conversation-framer';
import type { Frame } from '../imap/frame';
import { frameText } from '../imap/frame-text';
import { nowUs } from '../proxy/clock';
import { framePieces, piecesMatch, type MatchRule } from './command-matcher';
import { exchangeTitle, type DialogStep, type Exchange, type RecordedDialog } from './recorded-dialog';

/** How a replay answers. */
export interface ReplayOptions {
  rule: MatchRule;
  /** Multiplies the pace of IDLE updates: 2 sends them twice as fast as recorded. */
  speed: number;
  /** One line per notable thing (an unmatched command), without line end. */
  log: (line: string) => void;
}

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
 * IDLE command. The live client's bytes are framed by the same framer as the proxy's.
 */
export class ReplayConnection {
  private readonly framer: ConversationFramer;
  private readonly answered = new Set<number>();
  private active: ActiveExchange | undefined;
  private clientBytes: Buffer = Buffer.alloc(0);
  private clientBase = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly dialog: RecordedDialog,
    private readonly options: ReplayOptions,
    readonly id: number,
  ) {
    this.framer = new ConversationFramer(id, (frame) => {
      if (frame.direction === 'client') this.onClientFrame(frame);
    });
    socket.on('data', (chunk: Buffer) => {
      this.clientBytes = this.clientBytes.length ? Buffer.concat([this.clientBytes, chunk]) : chunk;
      this.framer.push('client', chunk, nowUs());
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
    if (this.active?.idle?.timer) clearTimeout(this.active.idle.timer);
    this.socket.end();
  }

  /** The bytes of a just-framed client frame; earlier bytes are dropped (frames come in order). */
  private takeBytes(frame: Frame): Buffer {
    const start = frame.offset - this.clientBase;
    const bytes = this.clientBytes.subarray(start, start + frame.length);
    this.clientBase = frame.offset + frame.length;
    this.clientBytes = this.clientBytes.subarray(start + frame.length);
    return bytes;
  }

  private onClientFrame(frame: Frame): void {
    const bytes = this.takeBytes(frame);
    if (this.closed) return;
    switch (frame.kind) {
      case 'command': return this.onCommand(frame, bytes);
      case 'command-continuation':
      case 'sasl':
      case 'idle-done': return this.onContinuation(frame, bytes);
      default:
        this.options.log(`#${this.id} cannot parse client line: ${frameText(frame, { revealSecrets: false })}`);
        this.send(Buffer.from('* BAD [imapdbg] not an IMAP command\r\n'));
    }
  }

  private onCommand(frame: Frame, bytes: Buffer): void {
    const tag = frame.tag ?? '*';
    const shown = frameText(frame, { revealSecrets: false });
    if (this.active?.exchange.verb === 'IDLE') return this.refuse(tag, shown, 'a command during IDLE (expected DONE)');
    if (this.active) this.abandon();
    if (LAYER_VERBS.has(frame.verb ?? '')) return this.refuse(tag, shown, `${frame.verb ?? ''} cannot be replayed (the replay speaks plain text only)`);
    const pieces = framePieces(frame, bytes);
    const unanswered = this.dialog.exchanges.filter((e) => !this.answered.has(e.index));
    const found = unanswered.find((e) => {
      const first = e.steps[0];
      return first?.from === 'client' && piecesMatch(pieces, framePieces(first.frame, first.bytes), this.options.rule, true);
    });
    if (!found) {
      const reason = unanswered.length === 0
        ? `all ${this.dialog.exchanges.length} recorded commands were already answered`
        : `no unanswered recorded command matches under --match ${this.options.rule} (next recorded: ${exchangeTitle(unanswered[0])})`;
      return this.refuse(tag, shown, reason);
    }
    this.answered.add(found.index);
    this.active = { exchange: found, liveTag: tag, pos: 1 };
    this.advance(this.active);
  }

  private onContinuation(frame: Frame, bytes: Buffer): void {
    const active = this.active;
    const expected = active?.exchange.steps[active.pos];
    const shown = frameText(frame, { revealSecrets: false });
    if (!active || !expected || expected.from !== 'client') {
      this.options.log(`#${this.id} unexpected ${frame.kind} from the client: ${shown}`);
      this.send(Buffer.from(`* BAD [imapdbg] no recorded response: unexpected ${frame.kind}\r\n`));
      return;
    }
    const same = frame.kind === 'idle-done' ? expected.frame.kind === 'idle-done'
      : expected.frame.kind === frame.kind
        && piecesMatch(framePieces(frame, bytes), framePieces(expected.frame, expected.bytes), this.options.rule, false);
    if (!same) {
      const tag = active.liveTag;
      this.abandon();
      return this.refuse(tag, shown, `this ${frame.kind} differs from the recorded one under --match ${this.options.rule}`);
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

  private refuse(tag: string, shown: string, reason: string): void {
    this.options.log(`#${this.id} no recorded response for ${shown}: ${reason}`);
    this.send(Buffer.from(`${tag} BAD [imapdbg] no recorded response: ${reason.replace(/[\r\n]/g, ' ')}\r\n`, 'latin1'));
  }

  private send(bytes: Buffer): void {
    if (this.closed || bytes.length === 0) return;
    // The framer follows the server side too, so SASL and literal states end where they should.
    this.framer.push('server', bytes, nowUs());
    this.socket.write(bytes);
  }
}
