import { printable } from '../imap/frame-text';

export type Verdict = 'ok' | 'warning' | 'problem' | 'skipped' | 'not run';

/** What doctor checks, in report order. */
export const ITEM_IDS = [
  'login', 'idle-before-login', 'idle-after-login', 'idle-selected', 'done-response', 'idle-authenticated',
  'command-during-idle', 'push-latency', 'notify', 'keepalive', 'idle-timeout',
] as const;
export type ItemId = typeof ITEM_IDS[number];

export interface DoctorItem {
  id: ItemId;
  title: string;
  /** Where the rule or feature is defined, e.g. `RFC 2177 3`. */
  rfc: string;
  verdict: Verdict;
  /** The measured value or observed behaviour, one line. */
  value: string;
  /** The measured time in ms, when the item measures one (for --json). */
  ms?: number;
}

export interface DoctorReport {
  target: string;
  items: DoctorItem[];
}

/** Longest value kept: server text in a value is quoted, escaped and cut to this. */
const MAX_SERVER_TEXT = 120;

/** Server text fit for a report: control characters escaped, bounded. */
export function serverText(text: string): string {
  const cut = text.length > MAX_SERVER_TEXT ? `${text.slice(0, MAX_SERVER_TEXT)}…` : text;
  return `"${printable(cut)}"`;
}

export function hasProblem(report: DoctorReport): boolean {
  return report.items.some((i) => i.verdict === 'problem');
}

/** The report as a table for people. */
export function renderTable(report: DoctorReport): string {
  const rows = report.items.map((i) => [i.title, i.rfc, i.verdict, printable(i.value)]);
  const head = ['check', 'rfc', 'verdict', 'value'];
  const width = [0, 1, 2].map((c) => Math.max(head[c].length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => `${r.slice(0, 3).map((cell, c) => cell.padEnd(width[c])).join('  ')}  ${r[3]}`.trimEnd();
  const problems = report.items.filter((i) => i.verdict === 'problem').length;
  const warnings = report.items.filter((i) => i.verdict === 'warning').length;
  return [`imapdbg doctor ${printable(report.target)}`, '', line(head), ...rows.map(line), '',
    `${problems} problem${problems === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`, ''].join('\n');
}

/** The report for scripts. */
export function renderJson(report: DoctorReport): string {
  return `${JSON.stringify({ target: report.target, problems: report.items.filter((i) => i.verdict === 'problem').length, items: report.items }, null, 2)}\n`;
}
