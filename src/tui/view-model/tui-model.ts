import type { ProxyEvent } from '../../imap/events';
import type { Interceptor } from '../../lab/intercept-stage';
import { compileFilter, type CompiledFilter } from '../../imap/filter/filter-eval';
import type { ByteSource } from './byte-source';
import { loadDetail, type DetailState } from './detail-state';
import { FrameListView } from './frame-list-view';
import { FrameStore } from './frame-store';
import { ListCursor } from './list-cursor';
import { SessionTable } from './session-table';
import { ThroughputMeter } from './throughput-meter';
import { TimelineIndex } from './timeline-index';
import { TimelineState } from './timeline-view';

/** How the model was fed: a running proxy, or a capture file. */
export interface TuiSource {
  mode: 'live' | 'file';
  /** The listening address (live) or the capture file (offline). */
  title: string;
  /** The capture being written (live with --record). */
  capturePath?: string;
  /** Offline: the capture plays in real time scaled by this factor (`view --speed`). */
  speed?: number;
}

export interface TuiModelOptions {
  source: TuiSource;
  revealSecrets: boolean;
  utc: boolean;
  /** Current time in µs: the wall clock live, the replay clock offline. */
  now: () => number;
  bytes?: ByteSource;
  /** The proxy's intercept (live only): `i` sets its filter, held frames are marked and acted on. */
  intercept?: Interceptor;
}

/** The prompt at the bottom line while the user types a search, a filter or an intercept filter. */
export interface Prompt {
  kind: 'search' | 'filter' | 'intercept';
  text: string;
}

/**
 * All state of the terminal UI, with no terminal in it: the sessions and frames as events built
 * them, which screen is shown, cursors, follow and pause, the prompt, search and filter. The
 * blessed layer renders it and feeds it keys; tests drive it directly.
 */
export class TuiModel {
  readonly store: FrameStore;
  readonly sessions = new SessionTable();
  readonly sessionCursor = new ListCursor();
  readonly throughput = new ThroughputMeter();
  /** IDLE periods and marks per session, for the timeline screen. */
  readonly timeline = new TimelineIndex();
  readonly timelineState = new TimelineState(this.timeline);
  screen: 'sessions' | 'frames' | 'timeline' = 'sessions';
  /** Where Esc on the timeline goes back to. */
  private timelineFrom: 'sessions' | 'frames' = 'sessions';
  /** The frames screen was opened from a timeline mark: Esc goes back there. */
  private framesFromTimeline = false;
  frames: FrameListView | undefined;
  detail: DetailState | undefined;
  focus: 'list' | 'detail' = 'list';
  hex = false;
  help = false;
  helpScroll = 0;
  paused = false;
  prompt: Prompt | undefined;
  filter: CompiledFilter | undefined;
  lastSearch: string | undefined;
  message: { text: string; error: boolean } | undefined;
  /** Events held back while the display is paused (the proxy keeps forwarding). */
  private held: ProxyEvent[] = [];
  /** A `view --speed` replay still feeding events (the frames screen then follows, as live). */
  playing: boolean;
  /** Time of the newest event seen, for offline clocks. */
  latestUs = 0;
  /** Called when something changed that is worth a redraw (bytes arrived for the detail pane). */
  onChange: () => void = () => undefined;

  constructor(readonly options: TuiModelOptions) {
    this.store = new FrameStore(options.revealSecrets);
    this.playing = options.source.mode === 'file' && options.source.speed !== undefined;
    options.intercept?.onChange((notice) => {
      if (notice) this.say(notice, true);
      this.onChange();
    });
  }

  /** Events held while paused. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Feed one event of the stream. */
  handle(event: ProxyEvent): void {
    if (this.paused) {
      this.held.push(event);
      return;
    }
    this.apply(event);
  }

  private apply(event: ProxyEvent): void {
    this.sessions.handle(event);
    switch (event.type) {
      case 'frame': {
        const index = this.store.add(event.frame);
        this.timeline.observeFrame(this.store.frame(index), index, this.store.band(index));
        this.frames?.added(index);
        this.latestUs = Math.max(this.latestUs, event.frame.endUs);
        return;
      }
      case 'data':
        if (event.layer === 'wire') this.throughput.add(event.timeUs, event.bytes.length);
        this.latestUs = Math.max(this.latestUs, event.timeUs);
        return;
      case 'session-close': {
        const open = this.store.bands.openBand(event.session);
        this.store.endSession(event.session, event.timeUs);
        this.timeline.observeSessionEnd(event.session, event.timeUs, open);
        this.latestUs = Math.max(this.latestUs, event.timeUs);
        return;
      }
      case 'session-open':
        this.timeline.seen(event.session.startUs);
        this.latestUs = Math.max(this.latestUs, event.session.startUs);
        return;
      case 'finding': {
        const frames = this.store.sessionFrames(event.session);
        this.timeline.observeSessionFinding(event.session, event.timeUs, event.finding.code, frames[frames.length - 1]);
        this.latestUs = Math.max(this.latestUs, event.timeUs);
        return;
      }
      case 'intervention':
        this.store.addChange(event.session, event.intervention);
        this.latestUs = Math.max(this.latestUs, event.timeUs);
        return;
      case 'tls':
        this.latestUs = Math.max(this.latestUs, event.timeUs);
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  /** Freeze or thaw the display; thawing applies what arrived meanwhile. */
  togglePause(): void {
    this.paused = !this.paused;
    if (!this.paused) {
      const held = this.held;
      this.held = [];
      for (const e of held) this.apply(e);
      this.say(`display resumed (${held.length} events applied)`);
    } else {
      this.say('display paused: the proxy keeps forwarding; p resumes');
    }
  }

  /** Open the frames of a session (or of all sessions), with the filter in force. */
  openFrames(session: number | undefined): void {
    this.framesFromTimeline = false;
    this.frames = new FrameListView(this.store, session, this.options.source.mode === 'live' || this.playing);
    this.frames.setFilter(this.filter);
    this.screen = 'frames';
    this.closeDetail();
  }

  /** Show the IDLE timeline, its cursor on the session in view (the selected row or the open frames' session). */
  openTimeline(): void {
    if (this.screen === 'timeline') return;
    this.timelineFrom = this.screen;
    const list = this.sessions.list;
    const id = this.screen === 'frames' ? this.frames?.session : list[this.sessionCursor.cursor]?.info.id;
    const row = id === undefined ? -1 : list.findIndex((s) => s.info.id === id);
    const state = this.timelineState;
    if (row >= 0 && row !== state.rows.cursor) {
      state.rows.jump(row, list.length);
      state.mark = undefined;
    }
    if (state.mark === undefined) state.endMark(false, list, this.now());
    this.screen = 'timeline';
  }

  /** Enter on a timeline mark: the frames of its session with its frame selected. */
  jumpFromTimeline(): void {
    const target = this.timelineState.jumpTarget(this.sessions.list);
    if (!target) {
      this.say('no mark here: ←/→ move between marks');
      return;
    }
    this.openFrames(target.session);
    this.framesFromTimeline = true;
    const view = this.frames;
    if (!view) return;
    view.following = false;
    if (!view.select(target.frame)) {
      this.say(`frame ${this.store.frame(target.frame).seq} is hidden by the filter ${this.filter?.source ?? ''}`, true);
      return;
    }
    this.say(`frame ${this.store.frame(target.frame).seq} of session #${target.session}; Esc back to the timeline`);
  }

  /** Back from the frames screen to the sessions screen (or the timeline it came from). */
  back(): void {
    if (this.screen === 'timeline') {
      this.screen = this.timelineFrom === 'frames' && this.frames ? 'frames' : 'sessions';
      return;
    }
    if (this.screen === 'frames' && this.detail) {
      this.closeDetail();
      return;
    }
    if (this.screen === 'frames' && this.framesFromTimeline) {
      this.framesFromTimeline = false;
      this.timelineFrom = 'sessions';
      this.frames = undefined;
      this.screen = 'timeline';
      return;
    }
    if (this.screen === 'frames') {
      this.screen = 'sessions';
      this.frames = undefined;
      return;
    }
    this.say('Q quits');
  }

  /** Show the detail of the frame under the cursor (again after the cursor moved). */
  openDetail(): void {
    const index = this.frames?.selected;
    if (index === undefined) {
      this.closeDetail();
      return;
    }
    if (this.detail?.index === index) return;
    const frame = this.store.frame(index);
    const state: DetailState = { index, bytes: frame.parts.map(() => undefined), loading: false, scroll: 0, lines: 0 };
    this.detail = state;
    loadDetail(state, frame, this.options.bytes, this.options.revealSecrets, () => {
      if (this.detail === state) this.onChange();
    });
  }

  closeDetail(): void {
    this.detail = undefined;
    this.focus = 'list';
  }

  /** Apply a filter expression; a syntax error leaves the old filter and shows where it is. */
  setFilter(source: string): void {
    const compiled = compileFilter(source.trim());
    if (!compiled.ok) {
      this.say(`filter error at column ${compiled.error.position + 1}: ${compiled.error.message}`, true);
      return;
    }
    this.filter = compiled.matchesAll ? undefined : compiled;
    if (this.screen === 'sessions' && this.filter) this.openFrames(undefined);
    else this.frames?.setFilter(this.filter);
    if (this.detail) this.openDetail();
    const n = this.frames?.rows.length;
    this.say(this.filter ? `filter ${this.filter.source}: ${n ?? 0} frames` : 'filter cleared');
  }

  /** Show a message in the status bar until the next key. */
  say(text: string, error = false): void {
    this.message = { text, error };
  }

  /** The current clock for IDLE durations and throughput. */
  now(): number {
    return this.options.source.mode === 'live' ? this.options.now() : Math.max(this.latestUs, this.options.now());
  }
}
