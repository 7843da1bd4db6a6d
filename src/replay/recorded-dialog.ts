import type { Direction, Frame } from '../imap/frame';
import type { EventSink, ProxyEvent, SessionInfo } from '../imap/events';
import { readCapture } from '../capture/capture-reader';
import type { ReadProgress } from '../capture/capture-error';
import { Reframer } from '../capture/reframer';
import { isCompressBoundary } from '../imap/compress-tracker';
import { frameText } from '../imap/frame-text';

/** One frame of a recorded session with its exact bytes. */
export interface DialogStep {
  from: Direction;
  frame: Frame;
  bytes: Buffer;
}

/**
 * One client command and everything that belongs to it, in wire order: the command frame, its
 * continuations, SASL lines and IDLE's DONE (client steps), and the server's continuation
 * requests, untagged responses and tagged response (server steps).
 */
export interface Exchange {
  /** Position among the session's exchanges, from 0. */
  index: number;
  tag: string;
  /** Upper-case command name (`UID FETCH` for UID commands). */
  verb: string;
  steps: DialogStep[];
}

/** A recorded session cut into what the server said first and the exchanges that followed. */
export interface RecordedDialog {
  info: SessionInfo;
  /** The greeting and any untagged lines the server sent before the first command. */
  greeting: DialogStep[];
  exchanges: Exchange[];
  /** Client frames that belong to no command (unparsable lines): kept for reporting. */
  strays: DialogStep[];
}

/** A capture without the requested session, or with no session at all. */
export class DialogError extends Error {}

/**
 * Reads one session of a capture and rebuilds its dialog from the recorded bytes: the bytes are
 * framed again (Reframer), so the dialog never depends on frame records or their annotations.
 * `session` undefined picks the first session in the file; a given one is read alone (a pcapng
 * capture's index lets the reader seek to it).
 */
export async function loadDialog(path: string, session?: number, onProgress?: ReadProgress): Promise<RecordedDialog> {
  // Two views of the same session: what each peer sent (wire), and what imapdbg delivered to each
  // peer in a session it changed (rules, intercept, scripts). A replay plays what the peers received.
  const sent = new SessionCollector(session);
  const received = new SessionCollector(session);
  const sentReframer = new Reframer(sent);
  const receivedReframer = new Reframer(received);
  await readCapture(path, (event) => {
    sentReframer.handle(event);
    const asReceived = deliveredAsWire(event);
    if (asReceived) receivedReframer.handle(asReceived);
  }, { session, onProgress });
  await sentReframer.close();
  await receivedReframer.close();
  const collector = received.hasData ? received : sent;
  if (!collector.info && session !== undefined) {
    // Only that session was read: list the ones there are from the metadata (no packet payloads).
    await readCapture(path, (event) => { if (event.type === 'session-open') collector.seen.push(event.session.id); }, { data: false });
  }
  if (!collector.info) {
    throw new DialogError(session === undefined ? `${path}: the capture holds no session`
      : `${path}: no session ${session} in the capture${collector.seen.length ? ` (sessions: ${collector.seen.join(', ')})` : ''}`);
  }
  return buildDialog(collector.info, collector.frames, collector.streams());
}

/**
 * The event as the delivered view sees it: delivered bytes become that view's wire bytes, the
 * peers' own bytes (and the inflated copy of them) are left out, everything else passes.
 */
function deliveredAsWire(event: ProxyEvent): ProxyEvent | undefined {
  if (event.type !== 'data') return event;
  return event.layer === 'delivered' ? { ...event, layer: 'wire' } : undefined;
}

/** Collects one session's frames and wire bytes from a reframer's output. */
class SessionCollector implements EventSink {
  info: SessionInfo | undefined;
  readonly frames: Frame[] = [];
  readonly seen: number[] = [];
  private readonly chunks: Record<Direction, Buffer[]> = { client: [], server: [] };
  private readonly inflated: Record<Direction, Buffer[]> = { client: [], server: [] };

  constructor(private readonly wanted: number | undefined) {}

  /** Bytes of the session came in (for the delivered view: imapdbg changed this session). */
  get hasData(): boolean {
    return this.chunks.client.length + this.chunks.server.length > 0;
  }

  handle(event: ProxyEvent): void {
    if (event.type === 'session-open') {
      this.seen.push(event.session.id);
      if (!this.info && (this.wanted === undefined || this.wanted === event.session.id)) this.info = event.session;
      return;
    }
    if (!this.info) return;
    if (event.type === 'data' && event.session === this.info.id && event.layer !== 'delivered') (event.layer === 'wire' ? this.chunks : this.inflated)[event.direction].push(event.bytes);
    else if (event.type === 'frame' && event.frame.session === this.info.id) this.frames.push(event.frame);
  }

  /**
   * Each direction's stream as the frames count it: the wire bytes, and after COMPRESS (RFC 4978)
   * the wire bytes up to the boundary followed by the inflated copy. The boundary is the server's
   * OK to COMPRESS, and for the client the end of its COMPRESS command.
   */
  streams(): Record<Direction, Buffer> {
    const ok = this.frames.find(isCompressBoundary);
    const command = ok && this.frames.find((f) => f.direction === 'client' && f.kind === 'command' && f.tag === ok.tag && f.verb === 'COMPRESS');
    const stream = (d: Direction, boundary: Frame | undefined): Buffer => {
      const wire = Buffer.concat(this.chunks[d]);
      if (!boundary) return wire;
      return Buffer.concat([wire.subarray(0, boundary.offset + boundary.length), ...this.inflated[d]]);
    };
    return { client: stream('client', command), server: stream('server', ok) };
  }
}

/**
 * Assigns each frame to its exchange. Tagged responses and client continuations go by tag; a `+`
 * goes to the command that last sent something (only a waiting client gets one); untagged
 * responses go to the oldest command still without its tagged response (servers answer in order),
 * or, when none is pending, to the last exchange (unsolicited updates between commands).
 */
export function buildDialog(info: SessionInfo, frames: Frame[], streams: Record<Direction, Buffer>): RecordedDialog {
  const dialog: RecordedDialog = { info, greeting: [], exchanges: [], strays: [] };
  const pending: Exchange[] = [];
  let lastClient: Exchange | undefined;
  for (const frame of frames) {
    const step: DialogStep = { from: frame.direction, frame, bytes: streams[frame.direction].subarray(frame.offset, frame.offset + frame.length) };
    const byTag = (tag: string | undefined): Exchange | undefined => pending.find((e) => e.tag === tag);
    if (frame.direction === 'client') {
      let target: Exchange | undefined;
      if (frame.kind === 'command') {
        target = { index: dialog.exchanges.length, tag: frame.tag ?? '', verb: frame.verb ?? '', steps: [] };
        dialog.exchanges.push(target);
        pending.push(target);
      } else if (frame.kind === 'idle-done') {
        target = [...pending].reverse().find((e) => e.verb === 'IDLE');
      } else if (frame.kind === 'command-continuation' || frame.kind === 'sasl') {
        target = byTag(frame.tag);
      }
      if (target) {
        target.steps.push(step);
        lastClient = target;
      } else {
        dialog.strays.push(step);
      }
      continue;
    }
    let target: Exchange | undefined;
    if (frame.kind === 'greeting') target = undefined;
    else if (frame.kind === 'tagged') target = byTag(frame.tag) ?? dialog.exchanges[dialog.exchanges.length - 1];
    else if (frame.kind === 'continuation') target = lastClient;
    else target = pending[0] ?? dialog.exchanges[dialog.exchanges.length - 1];
    if (target) target.steps.push(step);
    else dialog.greeting.push(step);
    if (frame.kind === 'tagged') {
      const i = pending.findIndex((e) => e.tag === frame.tag);
      if (i >= 0) pending.splice(i, 1);
    }
  }
  return dialog;
}

/** The command of an exchange as one line of text, secrets masked, for messages. */
export function exchangeTitle(exchange: Exchange): string {
  const first = exchange.steps.find((s) => s.from === 'client');
  return first ? frameText(first.frame, { revealSecrets: false }) : `${exchange.tag} ${exchange.verb}`;
}
