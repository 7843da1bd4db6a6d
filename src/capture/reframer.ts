import type { EventSink, ProxyEvent } from '../imap/events';
import { SessionModel, type FrameAnnotator } from '../imap/session-model';
import { defaultAnnotators } from '../imap/default-annotators';
import { isCompressBoundary } from '../imap/compress-tracker';
import { RULES } from '../imap/lint/rule-catalog';

/**
 * Runs the live session model over recorded bytes: takes session and data events (from a capture
 * or an imported log), drops any recorded frames, and emits freshly framed and annotated ones.
 * This is how `lint`, `stats` and imports see a capture exactly as the proxy would have live.
 * After COMPRESS=DEFLATE's OK (RFC 4978) the wire records are compressed: frames then come from
 * the `inflated` records the proxy wrote beside them.
 */
export class Reframer implements EventSink {
  private readonly models = new Map<number, SessionModel>();
  /** Sessions past COMPRESS: framed from their inflated records. */
  private readonly compressed = new Set<number>();
  /** Tags of each session's recent client commands by frame sequence number, for a recorded drop that names one. */
  private readonly commandTags = new Map<number, Map<number, string>>();

  constructor(
    private readonly out: EventSink,
    private readonly annotators: () => FrameAnnotator[] = defaultAnnotators,
  ) {}

  handle(event: ProxyEvent): void {
    switch (event.type) {
      case 'session-open': {
        const id = event.session.id;
        const tags = new Map<number, string>();
        this.commandTags.set(id, tags);
        const model = new SessionModel(id, {
          frame: (frame) => {
            if (frame.direction === 'client' && frame.kind === 'command' && frame.tag !== undefined) {
              tags.set(frame.seq, frame.tag);
              if (tags.size > RECENT_COMMAND_TAGS) tags.delete(tags.keys().next().value as number);
            }
            this.out.handle({ type: 'frame', frame });
          },
          finding: (finding, timeUs) => this.out.handle({ type: 'finding', session: id, timeUs, finding }),
        }, this.annotators());
        model.boundary = (frame) => {
          if (this.compressed.has(id) || !isCompressBoundary(frame)) return false;
          this.compressed.add(id);
          return true;
        };
        this.models.set(id, model);
        this.out.handle(event);
        return;
      }
      case 'data': {
        this.out.handle(event);
        // Frames describe what each peer sent; what imapdbg delivered instead is not framed again.
        if (event.layer === 'delivered') return;
        const model = this.models.get(event.session);
        // Wire bytes until COMPRESS (the rest of the chunk that carried its OK is compressed), then inflated ones.
        if (!model || (event.layer === 'inflated') !== this.compressed.has(event.session)) return;
        let rest = event.bytes;
        while (rest.length > 0 && (event.layer === 'inflated' || !this.compressed.has(event.session))) {
          const consumed = model.push(event.direction, rest, event.timeUs);
          if (consumed === 0) return;
          rest = rest.subarray(consumed);
        }
        return;
      }
      case 'session-close': {
        const model = this.models.get(event.session);
        if (model) {
          model.endDirection('client', event.timeUs);
          model.endDirection('server', event.timeUs);
          model.end(event.timeUs);
          this.models.delete(event.session);
          this.compressed.delete(event.session);
          this.commandTags.delete(event.session);
        }
        this.out.handle({ ...event, frames: model?.frameCount ?? event.frames });
        return;
      }
      case 'frame':
        return; // derived again from the bytes
      case 'finding':
        // Findings of the model are derived again; those of the proxy's layers (TLS, COMPRESS,
        // an unreachable upstream) cannot be, so they are kept.
        if (!derivedFromFrames(event.finding.code)) this.out.handle(event);
        return;
      case 'intervention': {
        // A client command imapdbg dropped never reached the server: the model stops waiting for its answer, as live.
        const c = event.intervention;
        const tag = c.action === 'drop' && c.toward === 'server' && c.frameSeq !== undefined ? this.commandTags.get(event.session)?.get(c.frameSeq) : undefined;
        if (tag !== undefined) this.models.get(event.session)?.forgetCommand(tag);
        this.out.handle(event);
        return;
      }
      case 'tls':
        if (event.tls.leg === 'server') this.models.get(event.session)?.tlsStarted();
        this.out.handle(event);
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  close(): Promise<void> {
    return this.out.close?.() ?? Promise.resolve();
  }
}

/** Client command tags remembered per session to match a recorded drop (it follows its frame closely). */
const RECENT_COMMAND_TAGS = 256;

/** True for finding codes that framing and annotating the bytes again reproduces. */
function derivedFromFrames(code: string): boolean {
  const rule = (RULES as Readonly<Record<string, { source: string }>>)[code];
  // The proxy's own (TLS, COMPRESS, connection, lab) come from what only the live session saw.
  return rule !== undefined && (rule.source === 'framer' || rule.source === 'pairing' || rule.source === 'lint');
}
