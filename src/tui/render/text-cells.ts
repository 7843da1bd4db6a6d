import { printable } from '../../imap/frame-text';

/**
 * Text for terminal cells: every frame byte is latin1, so one character is one cell once control
 * characters (C0, DEL and the C1 range 0x80-0x9f, which terminals treat as controls) are escaped.
 */

/**
 * Escape what a terminal would interpret, so a hostile server cannot move the cursor or retitle the
 * window: the same escaping as every textual view (C0, DEL, C1).
 */
export const cellSafe = printable;

/** Cut to at most `width` cells, marking a cut with `…`. */
export function cut(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

/** Cut or pad to exactly `width` cells. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = cut(text, width);
  return align === 'left' ? t.padEnd(width) : t.padStart(width);
}

/** Split text into rows of `width` cells (at least one row). */
export function wrap(text: string, width: number): string[] {
  if (width <= 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
  return out.length ? out : [''];
}

/** Byte counts as 999, 1.2K, 34M (1024-based, like the filter's sizes). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n}`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** A duration as 0.6s, 12s, 3m05s, 2h01m. */
export function formatDuration(us: number): string {
  if (us < 10_000_000) return `${(Math.max(0, us) / 1_000_000).toFixed(1)}s`;
  const s = Math.floor(us / 1_000_000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** SGR codes to set and to reset each style. */
const SGR: Readonly<Record<string, readonly [number, number]>> = {
  bold: [1, 22], inverse: [7, 27],
  'black-fg': [30, 39], 'red-fg': [31, 39], 'green-fg': [32, 39], 'yellow-fg': [33, 39], 'blue-fg': [34, 39],
  'magenta-fg': [35, 39], 'cyan-fg': [36, 39], 'white-fg': [37, 39], 'gray-fg': [90, 39],
  'red-bg': [41, 49], 'yellow-bg': [43, 49], 'blue-bg': [44, 49],
};

/**
 * Text in styles (space-separated, e.g. `black-fg yellow-bg`) as SGR escapes. The screen is drawn
 * without blessed's `{tag}` markup on purpose: its escaping cannot protect a `{|}` in a message
 * (blessed would right-align the line there), while SGR needs only the ESC byte escaped, which
 * cellSafe does for all wire text.
 */
export function colour(text: string, style: string): string {
  const codes = style.split(' ').filter((s) => s !== '').map((s) => SGR[s]).filter((c) => c !== undefined);
  if (codes.length === 0) return text;
  return `\x1b[${codes.map((c) => c[0]).join(';')}m${text}\x1b[${codes.map((c) => c[1]).join(';')}m`;
}
