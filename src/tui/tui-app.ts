import { readCaptureRanges } from '../capture/capture-ranges';
import type { EventSink, ProxyEvent } from '../imap/events';
import type { Interceptor } from '../lab/intercept-stage';
import { TuiScreen } from './tui-screen';
import { firstOf, type ByteSource } from './view-model/byte-source';
import { RecentBytes } from './view-model/recent-bytes';
import { TuiModel, type TuiSource } from './view-model/tui-model';

export interface TuiAppOptions {
  source: TuiSource;
  revealSecrets: boolean;
  utc: boolean;
  /** The clock for IDLE durations: wall clock live, replay clock offline (default: the newest event). */
  now?: () => number;
  /** The proxy's intercept (live): the TUI sets its filter and acts on held frames. */
  intercept?: Interceptor;
}

/** The event stream consumer that feeds the terminal UI: just another sink, like the capture writer. */
export class TuiSink implements EventSink {
  constructor(private readonly model: TuiModel, private readonly recent: RecentBytes | undefined,
    private readonly changed: () => void) {}

  handle(event: ProxyEvent): void {
    this.recent?.handle(event);
    this.model.handle(event);
    this.changed();
  }
}

/** A running terminal UI. */
export interface TuiApp {
  sink: TuiSink;
  model: TuiModel;
  /** Resolves when the user quits (Q or Ctrl-C). */
  quit: Promise<void>;
  /** Restore the terminal and forward every frame the intercept still holds; idempotent. */
  destroy(): void;
}

/**
 * Open the terminal UI. Live, the detail pane reads bytes from a ring of recent data, then from the
 * capture being recorded; offline, from the capture file.
 */
export function openTui(options: TuiAppOptions): TuiApp {
  const live = options.source.mode === 'live';
  const recent = live ? new RecentBytes() : undefined;
  const sources: ByteSource[] = [];
  if (recent) sources.push(recent);
  const capture = live ? options.source.capturePath : options.source.title;
  if (capture) sources.push({ read: (s, d, ranges) => readCaptureRanges(capture, s, d, ranges) });
  const model = new TuiModel({
    source: options.source, revealSecrets: options.revealSecrets, utc: options.utc,
    now: options.now ?? (live ? () => Date.now() * 1000 : () => 0), bytes: firstOf(sources), intercept: options.intercept,
  });
  let quitNow: () => void = () => undefined;
  const quit = new Promise<void>((resolve) => { quitNow = resolve; });
  const screen = new TuiScreen(model, () => quitNow());
  const destroy = (): void => {
    screen.destroy();
    // Nobody is left to act on held frames.
    options.intercept?.releaseAll();
  };
  return { sink: new TuiSink(model, recent, () => screen.scheduleRender()), model, quit, destroy };
}
