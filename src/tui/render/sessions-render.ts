import type { SessionSummary } from '../view-model/session-table';
import type { TuiModel } from '../view-model/tui-model';
import { colour, fit, formatBytes, formatDuration, cellSafe } from './text-cells';

interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
  /** Flexible columns share the width left over. */
  flex?: boolean;
  /** Shown only when the screen is at least this wide. */
  minScreen?: number;
  value: (s: SessionSummary, model: TuiModel) => string;
}

const COLUMNS: Column[] = [
  { title: '#', width: 4, align: 'right', value: (s) => String(s.info.id) },
  { title: 'client', width: 15, align: 'left', flex: true, value: (s) => s.info.client },
  // A session that is not IMAP (a SOCKS5 CONNECT to SMTP...) has no frames, and says why.
  { title: 'upstream', width: 15, align: 'left', flex: true, minScreen: 110, value: (s) => `${s.info.upstream}${s.info.opaque ? ' (opaque)' : ''}` },
  { title: 'TLS', width: 3, align: 'left', value: (s) => tlsText(s) },
  { title: 'user', width: 8, align: 'left', flex: true, value: (s) => userText(s) },
  { title: 'mailbox', width: 8, align: 'left', flex: true, value: (s) => s.identity.mailbox ?? '' },
  { title: 'IDLE', width: 8, align: 'left', value: (s, m) => idleText(s, m) },
  { title: 'C:bytes', width: 7, align: 'right', value: (s) => formatBytes(s.bytes.client) },
  { title: 'S:bytes', width: 7, align: 'right', value: (s) => formatBytes(s.bytes.server) },
  { title: 'frames', width: 6, align: 'right', value: (s) => String(s.frames) },
  { title: '!', width: 3, align: 'right', value: (s) => (s.findings ? String(s.findings) : '') },
];

function tlsText(s: SessionSummary): string {
  if (s.tls.client && s.tls.server) return 'yes';
  if (s.tls.client) return 'cli';
  if (s.tls.server) return 'srv';
  return '-';
}

function userText(s: SessionSummary): string {
  const id = s.identity;
  if (id.user === undefined) return id.userState === 'pending' ? '(auth)' : '';
  return id.userState === 'failed' ? `${id.user} ✗` : id.userState === 'pending' ? `${id.user}?` : id.user;
}

function idleText(s: SessionSummary, model: TuiModel): string {
  const band = model.store.bands.openBand(s.info.id);
  if (band) return `${formatDuration(model.now() - band.startUs)}`;
  return s.closed ? 'closed' : '';
}

/** Columns that fit the width, with the flexible ones widened to fill it. */
function layout(width: number): Array<Column & { cells: number }> {
  const shown = COLUMNS.filter((c) => (c.minScreen ?? 0) <= width);
  const fixed = shown.reduce((n, c) => n + c.width + 1, 0);
  const flex = shown.filter((c) => c.flex);
  const extra = Math.max(0, width - fixed);
  // Cap the extra width of each flexible column so wide screens do not spread the table thin.
  const per = Math.min(24, Math.floor(extra / Math.max(1, flex.length)));
  return shown.map((c) => ({ ...c, cells: c.width + (c.flex ? per : 0) }));
}

/** The column titles line. */
export function sessionsHeader(width: number): string {
  return colour(fit(layout(width).map((c) => fit(c.title, c.cells, c.align)).join(' '), width), 'bold');
}

/** The visible rows of the sessions list. */
export function sessionsRows(model: TuiModel, width: number, height: number): string[] {
  const list = model.sessions.list;
  const cursor = model.sessionCursor;
  cursor.fit(list.length, height);
  const cols = layout(width);
  const { from, to } = cursor.visible(list.length);
  const rows: string[] = [];
  for (let i = from; i < to; i++) {
    const s = list[i];
    const text = fit(cols.map((c) => fit(cellSafe(c.value(s, model)), c.cells, c.align)).join(' '), width);
    const style = i === cursor.cursor ? 'inverse' : s.closed ? 'gray-fg' : model.store.bands.openBand(s.info.id) ? 'green-fg' : '';
    rows.push(colour(text, style));
  }
  if (list.length === 0) rows.push(colour(model.options.source.mode === 'live' ? 'waiting for a client to connect…' : model.loading ? 'reading the capture…' : 'no sessions in this capture', 'gray-fg'));
  return rows;
}
