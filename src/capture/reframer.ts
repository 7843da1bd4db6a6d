import type { EventSink, ProxyEvent } from '../imap/events';
import { SessionModel, type FrameAnnotator } from '../imap/session-model';
import { defaultAnnotators } from '../imap/default-annotators';

/**
 * Runs the live session model over recorded bytes: takes session and data events (from a capture
 * or an imported log), drops any recorded frames, and emits freshly framed and annotated ones.
 * This is how `lint`, `stats` and imports see a capture exactly as the proxy would have live.
 */
export class Reframer implements EventSink {
  private readonly models = new Map<number, SessionModel>();

  constructor(
    private readonly out: EventSink,
    private readonly annotators: () => FrameAnnotator[] = defaultAnnotators,
  ) {}

  handle(event: ProxyEvent): void {
    switch (event.type) {
      case 'session-open': {
        const id = event.session.id;
        this.models.set(id, new SessionModel(id, {
          frame: (frame) => this.out.handle({ type: 'frame', frame }),
          finding: (finding, timeUs) => this.out.handle({ type: 'finding', session: id, timeUs, finding }),
        }, this.annotators()));
        this.out.handle(event);
        return;
      }
      case 'data': {
        this.out.handle(event);
        if (event.layer !== 'wire') return;
        this.models.get(event.session)?.push(event.direction, event.bytes, event.timeUs);
        return;
      }
      case 'session-close': {
        const model = this.models.get(event.session);
        if (model) {
          model.endDirection('client', event.timeUs);
          model.endDirection('server', event.timeUs);
          model.end(event.timeUs);
          this.models.delete(event.session);
        }
        this.out.handle({ ...event, frames: model?.frameCount ?? event.frames });
        return;
      }
      case 'frame':
      case 'finding':
        return; // derived again from the bytes
      case 'tls':
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
