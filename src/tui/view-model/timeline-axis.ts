import { clockTime } from '../../imap/notation';

/** A stretch of time, in µs since the epoch. */
export interface TimeSpan {
  startUs: number;
  endUs: number;
}

/** The part of the time axis on screen: `spanUs` µs from `startUs` across the plot's columns. */
export interface TimeView {
  startUs: number;
  spanUs: number;
}

/** Zooming in stops when the whole width shows this much time (1 ms). */
export const MIN_VIEW_SPAN_US = 1000;

/** The capture's span (a live session's so far), never empty so the scale stays finite. */
export function captureSpan(firstUs: number | undefined, lastUs: number | undefined, nowUs: number): TimeSpan {
  const startUs = firstUs ?? nowUs;
  const endUs = Math.max(lastUs ?? startUs, nowUs);
  return { startUs, endUs: Math.max(endUs, startUs + MIN_VIEW_SPAN_US) };
}

/**
 * The view at a zoom level: level 0 fits the whole span, each level halves the time shown. The
 * start is clamped so the view never runs past either end of the span.
 */
export function viewAt(span: TimeSpan, zoom: number, startUs: number | undefined): TimeView {
  const total = span.endUs - span.startUs;
  if (zoom <= 0 || startUs === undefined) return { startUs: span.startUs, spanUs: total };
  const spanUs = Math.max(MIN_VIEW_SPAN_US, total / 2 ** zoom);
  return { startUs: clamp(startUs, span.startUs, span.endUs - spanUs), spanUs };
}

/** The deepest zoom level for a span (beyond it a level would show less than MIN_VIEW_SPAN_US). */
export function maxZoom(span: TimeSpan): number {
  return Math.max(0, Math.floor(Math.log2((span.endUs - span.startUs) / MIN_VIEW_SPAN_US)));
}

/** The view start that puts `centerUs` in the middle of a view `spanUs` wide. */
export function centredStart(centerUs: number, spanUs: number): number {
  return centerUs - spanUs / 2;
}

/** The column (0-based) of a time in a plot `width` cells wide; outside [0, width) when off screen. */
export function columnOf(timeUs: number, view: TimeView, width: number): number {
  return Math.floor(((timeUs - view.startUs) * width) / view.spanUs);
}

/** The time at the left edge of a column. */
export function timeOfColumn(column: number, view: TimeView, width: number): number {
  return view.startUs + (column * view.spanUs) / width;
}

/** Tick steps the axis may use, in µs: 1-2-5 below a second, clock-friendly above. */
const STEPS_US = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5,
  1e6, 2e6, 5e6, 10e6, 15e6, 30e6, 60e6, 120e6, 300e6, 600e6, 900e6, 1800e6, 3600e6,
  7200e6, 10800e6, 21600e6, 43200e6, 86400e6,
];

/** One labelled tick of the axis. */
export interface AxisTick {
  column: number;
  label: string;
}

/** How a tick time is written for a step: no more digits than the step needs. */
export function tickLabel(timeUs: number, stepUs: number, utc: boolean): string {
  const clock = clockTime(timeUs, utc);
  if (stepUs < 1000) return clock; // HH:MM:SS.uuuuuu
  if (stepUs < 1e6) return clock.slice(0, 12); // HH:MM:SS.mmm
  if (stepUs < 60e6) return clock.slice(0, 8); // HH:MM:SS
  return clock.slice(0, 5); // HH:MM
}

/**
 * Ticks at round times, as many as fit with their labels two cells apart: the step is the
 * smallest that leaves room for a label per tick.
 */
export function axisTicks(view: TimeView, width: number, utc: boolean): AxisTick[] {
  if (width <= 0) return [];
  let step = STEPS_US[STEPS_US.length - 1];
  for (const s of STEPS_US) {
    const room = (s * width) / view.spanUs;
    if (room >= tickLabel(view.startUs, s, utc).length + 2) {
      step = s;
      break;
    }
  }
  const ticks: AxisTick[] = [];
  const endUs = view.startUs + view.spanUs;
  for (let t = Math.ceil(view.startUs / step) * step; t < endUs; t += step) {
    const column = columnOf(t, view, width);
    if (column >= 0 && column < width) ticks.push({ column, label: tickLabel(t, step, utc) });
  }
  return ticks;
}

/** A duration for the axis caption: 880ms, 12.5s, 3m05s. */
export function spanText(us: number): string {
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1e6) return `${Math.round(us / 1000)}ms`;
  if (us < 60e6) return `${(us / 1e6).toFixed(1)}s`;
  const s = Math.round(us / 1e6);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(x, Math.max(lo, hi)));
}
