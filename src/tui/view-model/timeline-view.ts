import { captureSpan, centredStart, columnOf, maxZoom, timeOfColumn, viewAt, type TimeSpan, type TimeView } from './timeline-axis';
import { firstAtOrAfter, type SessionTrack, type TimelineIndex, type TimelineMark } from './timeline-index';
import { ListCursor } from './list-cursor';

/** What one cell of a session's row shows, weakest first: a cell shows the strongest thing in it. */
export type TimelineCell = 'none' | 'alive' | 'idle' | 'keepalive' | 'update' | 'finding';

const STRENGTH: Readonly<Record<TimelineCell, number>> = { none: 0, alive: 1, idle: 2, keepalive: 3, update: 4, finding: 5 };

/** Marks in one cell looked at for the strongest before skipping to the next column. */
const MARKS_PER_CELL_SCANNED = 16;

/** One session's row, laid out for a plot `cells.length` wide. */
export interface TimelineRow {
  cells: TimelineCell[];
  /** Column of the selected mark, or -1 when it is not in this row or off screen. */
  selectedColumn: number;
}

/**
 * Lay out a session's row: the session's life as a thin line (the gaps between IDLE periods), its
 * IDLE periods as bars (an open one up to `nowUs`), its updates and findings as marks. Only the
 * bands and marks inside the view are visited, and at most a few per column, so the cost follows
 * the width, not the session's length.
 */
export function layoutRow(track: SessionTrack, life: TimeSpan, view: TimeView, width: number, nowUs: number, selected?: TimelineMark): TimelineRow {
  const cells: TimelineCell[] = new Array<TimelineCell>(width).fill('none');
  const viewEnd = view.startUs + view.spanUs;
  const paint = (fromUs: number, toUs: number, kind: TimelineCell): number => {
    if (toUs < view.startUs || fromUs >= viewEnd) return -1;
    const a = Math.max(0, columnOf(fromUs, view, width));
    const b = Math.min(width - 1, columnOf(toUs, view, width));
    for (let c = a; c <= Math.max(a, b) && c < width; c++) if (STRENGTH[kind] > STRENGTH[cells[c]]) cells[c] = kind;
    return Math.max(a, b);
  };
  paint(life.startUs, life.endUs, 'alive');

  const bands = track.bands;
  const endOf = (i: number): number => bands[i].endUs ?? nowUs;
  let b = firstAtOrAfter(bands, view.startUs, (band) => band.endUs ?? nowUs);
  while (b < bands.length && bands[b].startUs < viewEnd) {
    const last = paint(bands[b].startUs, endOf(b), 'idle');
    // Many short periods in one column: skip to those that reach the next column.
    const next = firstAtOrAfter(bands, timeOfColumn(last + 1, view, width), (band) => band.endUs ?? nowUs);
    b = Math.max(b + 1, next);
  }

  const marks = track.marks;
  let m = firstAtOrAfter(marks, view.startUs, (mark) => mark.timeUs);
  while (m < marks.length && marks[m].timeUs < viewEnd) {
    const column = columnOf(marks[m].timeUs, view, width);
    let scanned = 0;
    while (m < marks.length && scanned < MARKS_PER_CELL_SCANNED && columnOf(marks[m].timeUs, view, width) === column) {
      const kind = markCell(marks[m]);
      if (kind && column >= 0 && column < width && STRENGTH[kind] > STRENGTH[cells[column]]) cells[column] = kind;
      m += 1;
      scanned += 1;
    }
    m = Math.max(m, firstAtOrAfter(marks, timeOfColumn(column + 1, view, width), (mark) => mark.timeUs));
  }

  let selectedColumn = -1;
  if (selected && selected.timeUs >= view.startUs && selected.timeUs < viewEnd) {
    selectedColumn = Math.min(width - 1, Math.max(0, columnOf(selected.timeUs, view, width)));
  }
  return { cells, selectedColumn };
}

/** Starts and ends of periods are the bar itself; updates and findings stand out on it. */
function markCell(mark: TimelineMark): TimelineCell | undefined {
  if (mark.kind === 'update') return 'update';
  if (mark.kind === 'keepalive') return 'keepalive';
  if (mark.kind === 'finding') return 'finding';
  return undefined;
}

/** What Enter on a mark opens: the frames screen of a session with a frame selected. */
export interface JumpTarget {
  session: number;
  frame: number;
}

/** What the timeline needs to know of a session besides its track. */
export interface TimelineSession {
  info: { id: number; startUs: number };
  /** Set once it closed. */
  closed?: { timeUs: number };
}

/**
 * The timeline screen's own state, apart from the data: which session row and which of its marks
 * the cursor is on, the zoom level and where the zoomed view starts. Keys change it; the renderer
 * reads it. Pure: no terminal, no clock of its own (the caller passes `nowUs`).
 */
export class TimelineState {
  readonly rows = new ListCursor();
  /** The view shows 1/2^zoom of the span. */
  zoom = 0;
  /** Start of the zoomed view (unused at zoom 0, which always fits the span as it grows). */
  viewStartUs: number | undefined;
  /** Index of the selected mark in the selected session's marks; undefined when it has none. */
  mark: number | undefined;

  constructor(private readonly index: TimelineIndex) {}

  span(nowUs: number): TimeSpan {
    return captureSpan(this.index.firstUs, this.index.lastUs, nowUs);
  }

  view(nowUs: number): TimeView {
    return viewAt(this.span(nowUs), this.zoom, this.viewStartUs);
  }

  /** The selected mark of a session's track, if the cursor is on one. */
  selectedMark(track: SessionTrack): TimelineMark | undefined {
    return this.mark === undefined ? undefined : track.marks[this.mark];
  }

  /** Zoom in (twice the detail) around the selected mark when it is on screen, else around the middle. */
  zoomIn(nowUs: number, sessions: readonly TimelineSession[]): boolean {
    const span = this.span(nowUs);
    if (this.zoom >= maxZoom(span)) return false;
    const before = this.view(nowUs);
    const mark = this.cursorMark(sessions);
    const centre = mark && mark.timeUs >= before.startUs && mark.timeUs < before.startUs + before.spanUs
      ? mark.timeUs : before.startUs + before.spanUs / 2;
    this.zoom += 1;
    this.viewStartUs = centredStart(centre, before.spanUs / 2);
    this.viewStartUs = this.view(nowUs).startUs;
    return true;
  }

  /** Zoom out (half the detail) around the middle of the view; level 0 fits the whole span again. */
  zoomOut(nowUs: number): boolean {
    if (this.zoom === 0) return false;
    const before = this.view(nowUs);
    this.zoom -= 1;
    if (this.zoom === 0) {
      this.viewStartUs = undefined;
      return true;
    }
    this.viewStartUs = centredStart(before.startUs + before.spanUs / 2, before.spanUs * 2);
    this.viewStartUs = this.view(nowUs).startUs;
    return true;
  }

  /** Fit the whole span. */
  fit(): void {
    this.zoom = 0;
    this.viewStartUs = undefined;
  }

  /** Pan by a quarter of the view (direction -1: back in time). */
  pan(direction: 1 | -1, nowUs: number): void {
    if (this.zoom === 0) return;
    const v = this.view(nowUs);
    this.viewStartUs = v.startUs + (direction * v.spanUs) / 4;
    this.viewStartUs = this.view(nowUs).startUs;
  }

  /** Move to another session row; the mark cursor goes to that session's mark nearest in time. */
  moveRow(move: (rows: ListCursor, count: number) => void, sessions: readonly TimelineSession[], nowUs: number): void {
    const from = this.cursorMark(sessions);
    const fromUs = from?.timeUs ?? this.view(nowUs).startUs + this.view(nowUs).spanUs / 2;
    move(this.rows, sessions.length);
    const marks = this.trackAt(sessions)?.marks ?? [];
    this.mark = nearest(marks, fromUs);
  }

  /** Next or previous mark of the session; the view pans to keep it on screen. */
  moveMark(direction: 1 | -1, sessions: readonly TimelineSession[], nowUs: number): boolean {
    const marks = this.trackAt(sessions)?.marks ?? [];
    if (marks.length === 0) {
      this.mark = undefined;
      return false;
    }
    const target = this.mark === undefined ? (direction > 0 ? 0 : marks.length - 1) : this.mark + direction;
    if (target < 0 || target >= marks.length) return false;
    this.mark = target;
    this.reveal(marks[target].timeUs, nowUs);
    return true;
  }

  /** The first or last mark of the session. */
  endMark(last: boolean, sessions: readonly TimelineSession[], nowUs: number): void {
    const marks = this.trackAt(sessions)?.marks ?? [];
    this.mark = marks.length === 0 ? undefined : last ? marks.length - 1 : 0;
    if (this.mark !== undefined) this.reveal(marks[this.mark].timeUs, nowUs);
  }

  /** The frame the selected mark jumps to. */
  jumpTarget(sessions: readonly TimelineSession[]): JumpTarget | undefined {
    const s = sessions[this.rows.cursor];
    const mark = this.cursorMark(sessions);
    if (!s || !mark || mark.frame === undefined) return undefined;
    return { session: s.info.id, frame: mark.frame };
  }

  /** The mark under the cursor. */
  cursorMark(sessions: readonly TimelineSession[]): TimelineMark | undefined {
    const track = this.trackAt(sessions);
    return track ? this.selectedMark(track) : undefined;
  }

  private trackAt(sessions: readonly TimelineSession[]): SessionTrack | undefined {
    const s = sessions[this.rows.cursor];
    return s ? this.index.track(s.info.id) : undefined;
  }

  /** Pan (zoomed) so a time is on screen, centred when it was off. */
  private reveal(timeUs: number, nowUs: number): void {
    if (this.zoom === 0) return;
    const v = this.view(nowUs);
    if (timeUs >= v.startUs && timeUs < v.startUs + v.spanUs) return;
    this.viewStartUs = centredStart(timeUs, v.spanUs);
    this.viewStartUs = this.view(nowUs).startUs;
  }
}

/** Index of the mark nearest in time, or undefined for none. */
export function nearest(marks: readonly TimelineMark[], timeUs: number): number | undefined {
  if (marks.length === 0) return undefined;
  const i = firstAtOrAfter(marks, timeUs, (m) => m.timeUs);
  if (i >= marks.length) return marks.length - 1;
  if (i === 0) return 0;
  return timeUs - marks[i - 1].timeUs <= marks[i].timeUs - timeUs ? i - 1 : i;
}
