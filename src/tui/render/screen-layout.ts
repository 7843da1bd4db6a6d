import { FILTER_OPERATORS } from '../../imap/filter/filter-parser';
import { KEY_HELP } from '../view-model/key-actions';
import { HELD_KEYS, heldAtCursor } from '../view-model/intercept-actions';
import type { TuiModel } from '../view-model/tui-model';
import { detailLines } from './detail-render';
import { framesRows } from './frames-render';
import { sessionsHeader, sessionsRows } from './sessions-render';
import { TIMELINE_LEGEND, timelineLines } from './timeline-render';
import { colour, cut, fit, formatBytes, cellSafe } from './text-cells';

/** The whole screen as tagged lines, and where the list rows are (for the mouse). */
export interface ScreenImage {
  lines: string[];
  /** Screen row of the first list row, and how many list rows there are. */
  listTop: number;
  listRows: number;
}

/**
 * Lays out the screen for a width and height: a title line, the column titles, the list (with
 * the detail pane below it when open), the status bar and the key hints (or the prompt, or a
 * message). Only visible rows are rendered.
 */
export function renderScreen(model: TuiModel, width: number, height: number): ScreenImage {
  const w = Math.max(20, width);
  const h = Math.max(6, height);
  const body = h - 4;
  const lines: string[] = [titleLine(model, w)];
  let listRows = body;
  if (model.help) {
    lines.push(colour(fit('Keys', w), 'bold'));
    const help = helpLines(w);
    model.helpScroll = Math.max(0, Math.min(model.helpScroll, help.length - (body - 1)));
    lines.push(...help.slice(model.helpScroll, model.helpScroll + body - 1));
  } else if (model.screen === 'timeline') {
    lines.push(...timelineLines(model, w, body + 1));
    listRows = Math.max(1, body - 1);
  } else if (model.screen === 'sessions') {
    lines.push(sessionsHeader(w));
    lines.push(...sessionsRows(model, w, body));
  } else {
    const detailOpen = model.detail !== undefined;
    listRows = detailOpen ? Math.max(3, Math.floor(body * 0.4)) : body;
    lines.push(colour(fit(`  time         ${model.frames?.session === undefined ? '#  ' : ''}dir text${model.frames?.following ? '  (following)' : ''}`, w), 'bold'));
    const rows = framesRows(model, w, listRows);
    lines.push(...rows, ...Array<string>(Math.max(0, listRows - rows.length)).fill(''));
    if (detailOpen) {
      const detailRows = body - listRows - 1;
      const focus = model.focus === 'detail' ? ' [focus: Tab back to list]' : ' [Tab focuses]';
      lines.push(colour(fit(`── detail${focus} ${'─'.repeat(w)}`, w), model.focus === 'detail' ? 'bold' : 'gray-fg'));
      const all = detailLines(model, w);
      const d = model.detail;
      if (d) d.scroll = Math.max(0, Math.min(d.scroll, Math.max(0, all.length - detailRows)));
      lines.push(...all.slice(d?.scroll ?? 0, (d?.scroll ?? 0) + detailRows));
    }
  }
  while (lines.length < h - 2) lines.push('');
  lines.length = h - 2;
  lines.push(statusLine(model, w), bottomLine(model, w));
  return { lines, listTop: 2, listRows };
}

function titleLine(model: TuiModel, w: number): string {
  let text = ' imapdbg';
  if (model.help) text += ' — help';
  else if (model.screen === 'sessions') text += ` — sessions (${model.sessions.list.length})`;
  else if (model.screen === 'timeline') text += ` — IDLE timeline  ${TIMELINE_LEGEND}`;
  else if (model.frames?.session === undefined) text += ' — frames of all sessions';
  else {
    const s = model.sessions.get(model.frames.session);
    const who = s?.identity.user ? ` ${s.identity.user}` : '';
    const box = s?.identity.mailbox ? ` ${s.identity.mailbox}` : '';
    text += ` — session #${model.frames.session}${who}${box}  ${s?.info.client ?? ''} → ${s?.info.upstream ?? ''}${s?.info.upstreamAddress ? ` (${s.info.upstreamAddress})` : ''}${s?.info.opaque ? ' (opaque, not IMAP: not framed)' : ''}${s?.closed ? ' (closed)' : ''}`;
  }
  const count = model.screen === 'frames' && model.frames ? `${model.frames.rows.length ? model.frames.cursor.cursor + 1 : 0}/${model.frames.rows.length} `
    : model.screen === 'timeline' ? `${model.sessions.list.length ? model.timelineState.rows.cursor + 1 : 0}/${model.sessions.list.length} ` : '';
  return colour(fit(cellSafe(text), w - count.length - 1) + ' ' + count, 'inverse');
}

function statusLine(model: TuiModel, w: number): string {
  const src = model.options.source;
  const open = model.sessions.list.filter((s) => !s.closed).length;
  const parts = [src.mode === 'live' ? `listening ${src.title}` : `file ${src.title}`,
    `${model.sessions.list.length} sessions${src.mode === 'live' ? ` (${open} open)` : ''}`];
  if (src.mode === 'live') parts.push(`${formatBytes(Math.round(model.throughput.rate(model.now())))}B/s`);
  if (src.capturePath) parts.push(`rec ${src.capturePath}`);
  if (src.mode === 'file' && src.speed !== undefined) parts.push(`speed ${src.speed}×`);
  const loading = model.loading ? `loading ${Math.floor((100 * model.loading.read) / Math.max(1, model.loading.total))}%` : undefined;
  parts.push(model.paused ? `PAUSED (${model.heldCount} held)` : model.frames?.following ? 'FOLLOW' : src.mode === 'live' ? 'live' : model.playing ? 'playing' : loading ?? 'loaded');
  if (model.filter) parts.push(`filter: ${model.filter.source}`);
  const intercept = model.options.intercept;
  if (intercept && (intercept.filterSource !== undefined || intercept.count > 0)) {
    parts.push(`HELD ${intercept.count}${intercept.filterSource !== undefined ? ` (intercept ${cellSafe(intercept.filterSource)})` : ''}`);
  }
  // On a narrow screen the file's directory matters least.
  if (parts.join(' | ').length >= w) parts[0] = parts[0].replace(/[^ ]*\//, '').replace(/ → .*/, '');
  return colour(fit(` ${parts.join(' | ')}`, w), model.paused ? 'black-fg yellow-bg' : 'white-fg blue-bg');
}

function bottomLine(model: TuiModel, w: number): string {
  if (model.prompt) {
    const label = model.prompt.kind === 'search' ? '/' : model.prompt.kind === 'intercept' ? 'intercept: ' : 'filter: ';
    const text = `${label}${model.prompt.text}`;
    return `${cut(text.length >= w ? `…${text.slice(text.length - w + 2)}` : text, w - 1)}${colour(' ', 'inverse')}`;
  }
  if (model.message) return colour(cut(cellSafe(model.message.text), w), model.message.error ? 'red-fg' : 'green-fg');
  const held = heldAtCursor(model);
  const intercept = model.options.intercept ? `i intercept${model.options.intercept.count ? `  ${HELD_KEYS.next} held` : ''}  ` : '';
  if (held && !model.help) {
    return colour(cut(`HELD frame: ${HELD_KEYS.forward} forward  ${HELD_KEYS.drop} drop  ${HELD_KEYS.edit} edit ($EDITOR)  ${HELD_KEYS.next} next held  ? help`, w), 'red-fg bold');
  }
  const hints = model.help ? 'Esc/q/? close help  j/k scroll  Q quit'
    : model.screen === 'timeline' ? 'j/k session  ←/→ mark  +/- zoom  h/l pan  0 fit  Enter frame  t/Esc back  ? help'
    : model.screen === 'sessions' ? `Enter open  t timeline  a all frames  / search  f filter  ${intercept}p pause  ? help  Q quit`
      : model.detail ? 'j/k move  Tab focus  x hex  F follow  / search  f filter  Esc close  ? help'
        : `Enter detail  j/k g/G move  F follow  / n N search  f filter  ${intercept}t timeline  q back  ? help`;
  return colour(cut(hints, w), 'gray-fg');
}

function helpLines(w: number): string[] {
  const out: string[] = [];
  for (const [k, what] of KEY_HELP) out.push(...helpEntry(k, what, w));
  out.push('', colour(cut('Filter expressions (f), on frames:', w), 'bold'));
  for (const [op, what] of FILTER_OPERATORS) out.push(...helpEntry(op, what, w));
  out.push(cut('  e.g.  ~c FETCH & ~lit >1M     ~idle & ~dir s     !~dir c | ~status NO', w));
  return out;
}

/** A key and its meaning; the meaning wraps at word boundaries under itself on narrow screens. */
function helpEntry(key: string, what: string, w: number): string[] {
  const indent = 21;
  const room = Math.max(10, w - indent);
  const rows: string[] = [];
  let row = '';
  for (const word of what.split(' ')) {
    if (row && row.length + 1 + word.length > room) {
      rows.push(row);
      row = word;
    } else {
      row = row ? `${row} ${word}` : word;
    }
  }
  rows.push(row);
  return rows.map((r, i) => cut(`${i === 0 ? `  ${key}`.padEnd(indent - 1) : ' '.repeat(indent - 1)} ${r}`, w));
}
