import { clockTime } from '../../imap/notation';
import type { SessionSummary } from '../view-model/session-table';
import { axisTicks, spanText, type TimeView } from '../view-model/timeline-axis';
import type { TimelineMark } from '../view-model/timeline-index';
import { layoutRow, type TimelineCell } from '../view-model/timeline-view';
import type { TuiModel } from '../view-model/tui-model';
import { cellSafe, colour, cut, fit, formatDuration } from './text-cells';

/** How each kind of cell looks. */
const CELL_LOOK: Readonly<Record<TimelineCell, { ch: string; style: string }>> = {
  none: { ch: ' ', style: '' },
  alive: { ch: '·', style: 'gray-fg' },
  idle: { ch: '█', style: 'green-fg' },
  keepalive: { ch: '◇', style: 'green-fg' },
  update: { ch: '◆', style: 'cyan-fg bold' },
  finding: { ch: '!', style: 'red-fg bold' },
};

/** The key to the row glyphs, for the title line. */
export const TIMELINE_LEGEND = '█ IDLE ◆ update ◇ keepalive ! finding · connected';

/** Width of the session label column (`#id user mailbox`). */
function labelWidth(width: number): number {
  return Math.max(8, Math.min(24, Math.floor(width * 0.22)));
}

/**
 * The timeline screen's body, `height` lines: the time axis, one row per visible session (only
 * those rows are laid out, so 1,000 sessions cost what 20 do), and a line describing the mark
 * under the cursor.
 */
export function timelineLines(model: TuiModel, width: number, height: number): string[] {
  const state = model.timelineState;
  const list = model.sessions.list;
  const now = model.now();
  const label = labelWidth(width);
  const plot = Math.max(1, width - label - 1);
  const rowCount = Math.max(1, height - 2);
  state.rows.fit(list.length, rowCount);
  const view = state.view(now);
  const lines = [axisLine(model, view, label, plot)];
  const { from, to } = state.rows.visible(list.length);
  for (let i = from; i < to; i++) lines.push(sessionRow(model, list[i], i === state.rows.cursor, view, label, plot, now));
  if (list.length === 0) lines.push(colour(model.options.source.mode === 'live' ? 'waiting for a client to connect…' : model.loading ? 'reading the capture…' : 'no sessions in this capture', 'gray-fg'));
  while (lines.length < height - 1) lines.push('');
  lines.length = height - 1;
  lines.push(markLine(model, width));
  return lines;
}

/** Zoom and span in the label column, clock times at round ticks over the plot. */
function axisLine(model: TuiModel, view: TimeView, label: number, plot: number): string {
  const state = model.timelineState;
  const caption = fit(`${2 ** state.zoom}× ${spanText(view.spanUs)}`, label);
  const cells = Array<string>(plot).fill(' ');
  let free = 0;
  for (const tick of axisTicks(view, plot, model.options.utc)) {
    const text = `|${tick.label}`;
    // A label cut at the right edge would read as another time: leave it out.
    if (tick.column < free || tick.column + text.length > plot) continue;
    for (let k = 0; k < text.length && tick.column + k < plot; k++) cells[tick.column + k] = text[k];
    free = tick.column + text.length + 1;
  }
  return colour(`${caption}│${cells.join('')}`, 'bold');
}

function sessionRow(model: TuiModel, s: SessionSummary, selected: boolean, view: TimeView, label: number, plot: number, now: number): string {
  const id = s.identity;
  const name = cellSafe(`#${s.info.id} ${id.user ?? ''} ${id.mailbox ?? ''}`.trim());
  const track = model.timeline.track(s.info.id);
  const live = model.options.source.mode === 'live';
  const life = { startUs: s.info.startUs || (track.marks[0]?.timeUs ?? now), endUs: s.closed?.timeUs ?? (live ? now : s.lastUs) };
  const mark = selected ? model.timelineState.selectedMark(track) : undefined;
  const row = layoutRow(track, life, view, plot, now, mark);
  const head = colour(fit(name, label), selected ? 'inverse' : s.closed ? 'gray-fg' : '');
  let out = `${head}│`;
  // Runs of one style become one escape sequence.
  let run = '';
  let runStyle = '';
  const flush = (): void => {
    if (run) out += colour(run, runStyle);
    run = '';
  };
  row.cells.forEach((cell, c) => {
    const look = CELL_LOOK[cell];
    const style = c === row.selectedColumn ? 'inverse' : look.style;
    const ch = c === row.selectedColumn && cell === 'none' ? ' ' : look.ch;
    if (style !== runStyle) {
      flush();
      runStyle = style;
    }
    run += ch;
  });
  flush();
  return out;
}

/** The mark under the cursor: what it is, when, and its frame's text (escaped). */
function markLine(model: TuiModel, width: number): string {
  const state = model.timelineState;
  const s = model.sessions.list[state.rows.cursor];
  if (!s) return '';
  const track = model.timeline.track(s.info.id);
  const mark = state.selectedMark(track);
  if (!mark) {
    const bands = track.bands.length;
    const what = track.marks.length ? `${bands} IDLE periods, ${track.marks.length} marks (→ selects one)` : 'no IDLE, no findings';
    return colour(cut(`#${s.info.id}: ${what}`, width), 'gray-fg');
  }
  const time = clockTime(mark.timeUs, model.options.utc).slice(0, 12);
  const what = markText(model, mark);
  const frame = mark.frame === undefined ? '' : ` ${model.store.frame(mark.frame).direction === 'client' ? 'C:' : 'S:'} ${model.store.text(mark.frame)}`;
  const text = `#${s.info.id} ${state.mark === undefined ? '' : `mark ${state.mark + 1}/${track.marks.length}`} ${time} ${what}:${frame}`;
  return colour(cut(cellSafe(text), width), mark.kind === 'finding' ? 'red-fg' : 'cyan-fg');
}

function markText(model: TuiModel, mark: TimelineMark): string {
  const band = mark.frame === undefined ? undefined : model.store.band(mark.frame);
  switch (mark.kind) {
    case 'idle': {
      const length = band?.endUs !== undefined ? `IDLE ${formatDuration(band.endUs - band.startUs)}` : 'IDLE (open)';
      const status = band?.endedBy !== undefined && band.endedBy !== 'OK' && band.endedBy !== 'closed' ? ` ended ${band.endedBy}` : '';
      return `${length}${status}${gapText(model, mark)}`;
    }
    case 'update':
    case 'keepalive': return `${mark.kind}${band ? ` +${formatDuration(mark.timeUs - band.startUs)} into IDLE` : ''}`;
    case 'end':
      if (band?.endedBy === 'closed') return 'IDLE ended by the connection closing';
      return `IDLE end${band ? `, ${band.updates} updates` : ''}`;
    case 'finding': {
      if (mark.code) return `finding ${mark.code}`;
      const f = mark.frame === undefined ? undefined : model.store.frame(mark.frame).annotations.find((a) => a.kind === 'finding');
      return f && f.kind === 'finding' ? `finding ${f.finding.code}` : 'finding';
    }
    default: {
      const never: never = mark.kind;
      return never;
    }
  }
}

/** The push gap before an IDLE, from the IDLE tracker's `idle-requested` annotation (absent for the first). */
function gapText(model: TuiModel, mark: TimelineMark): string {
  if (mark.frame === undefined) return '';
  for (const a of model.store.frame(mark.frame).annotations) {
    if (a.kind === 'phase' && a.phase === 'idle-requested' && a.detail.gapUs !== undefined) {
      return `, ${formatDuration(a.detail.gapUs)} after the previous IDLE ended`;
    }
  }
  return '';
}
