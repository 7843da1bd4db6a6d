import type { Frame } from '../../imap/frame';
import { clockTime, formatLatency } from '../../imap/notation';
import { changeBadge } from '../../imap/intervention-text';
import type { TuiModel } from '../view-model/tui-model';
import { cellSafe, colour, cut, formatBytes, formatDuration } from './text-cells';

/** Colours of the two directions. */
export const DIRECTION_STYLE = { client: 'yellow-fg', server: 'cyan-fg' } as const;

/** The visible rows of the frames list: gutter, time, C:/S:, text cut to the width, badges. */
export function framesRows(model: TuiModel, width: number, height: number): string[] {
  const view = model.frames;
  if (!view) return [];
  view.cursor.fit(view.rows.length, height);
  const { from, to } = view.cursor.visible(view.rows.length);
  const out: string[] = [];
  for (let r = from; r < to; r++) out.push(frameRow(model, view.rows[r], width, r === view.cursor.cursor, view.session === undefined));
  if (view.rows.length === 0) out.push(colour(model.filter ? `no frame matches the filter ${model.filter.source}` : 'no frames yet', 'gray-fg'));
  return out;
}

function frameRow(model: TuiModel, index: number, width: number, selected: boolean, showSession: boolean): string {
  const frame = model.store.frame(index);
  const gutter = gutterMark(model, index);
  const time = clockTime(frame.timeUs, model.options.utc).slice(0, 12);
  const session = showSession ? `#${frame.session} ` : '';
  const who = frame.direction === 'client' ? 'C:' : 'S:';
  const badges = badgesOf(model, index, frame);
  const badgeText = badges.map((b) => b.text).join(' ');
  const prefixLen = 2 + time.length + 1 + session.length + 3;
  const textWidth = Math.max(4, width - prefixLen - (badgeText ? badgeText.length + 1 : 0));
  const text = cut(cellSafe(model.store.text(index)), textWidth);
  const badgeWidth = Math.max(0, width - prefixLen - text.length - 1);
  const shownBadges = cut(badgeText, badgeWidth);
  const pad = ' '.repeat(Math.max(0, width - prefixLen - text.length - (shownBadges ? shownBadges.length + 1 : 0)));
  if (selected) {
    // One style for the whole row so the highlight spans it.
    const plain = `${gutter.text}${time} ${session}${who} ${text}${pad}${shownBadges ? ` ${shownBadges}` : ''}`;
    return colour(plain.slice(0, width), 'inverse');
  }
  const styledBadges = shownBadges.length === badgeText.length
    ? badges.map((b) => colour(b.text, b.style)).join(' ')
    : colour(shownBadges, 'gray-fg');
  return `${colour(gutter.text, 'green-fg')}${colour(time, 'gray-fg')} ${session}${colour(who, `${DIRECTION_STYLE[frame.direction]}`)} `
    + `${colour(text, DIRECTION_STYLE[frame.direction])}${pad}${shownBadges ? ` ${styledBadges}` : ''}`;
}

/** The IDLE band in the left gutter: ┌ at the IDLE command, │ inside, └ at its tagged response. */
function gutterMark(model: TuiModel, index: number): { text: string } {
  const band = model.store.band(index);
  if (!band) return { text: '  ' };
  if (index === band.startIndex) return { text: '┌ ' };
  if (index === band.endIndex) return { text: '└ ' };
  return { text: '│ ' };
}

interface Badge {
  text: string;
  style: string;
}

/** Literal sizes, the IDLE period's (live-ticking) duration and phase, findings, a response's latency. */
function badgesOf(model: TuiModel, index: number, frame: Frame): Badge[] {
  const out: Badge[] = [];
  // First, so a narrow row still shows them: a held frame, and what imapdbg changed here (not what the peer sent).
  if (model.options.intercept?.find(frame.session, frame.seq)) out.push({ text: 'HELD', style: 'white-fg red-bg bold' });
  for (const c of model.store.changes(index)) out.push({ text: cellSafe(changeBadge(c)), style: 'white-fg red-bg' });
  for (const p of frame.parts) {
    if (p.type === 'literal') out.push({ text: `{${formatBytes(p.literal.size)}${p.literal.received < p.literal.size ? ' cut' : ''}}`, style: 'magenta-fg' });
  }
  const band = model.store.band(index);
  if (band && index === band.startIndex) {
    const open = band.endUs === undefined;
    const duration = formatDuration((band.endUs ?? model.now()) - band.startUs);
    out.push({ text: open ? `IDLE ${duration}…` : `IDLE ${duration}`, style: open ? 'green-fg bold' : 'green-fg' });
  }
  for (const a of frame.annotations) {
    // A phase read from a capture that did not check out is shown by its name all the same.
    if (a.kind !== 'phase' && a.kind !== 'unrecognised-phase') continue;
    if (a.phase.startsWith('idle-')) out.push({ text: `‹${a.phase.slice(5)}›`, style: 'green-fg' });
    else out.push({ text: `‹${a.phase}›`, style: 'blue-fg' });
  }
  const findings = frame.annotations.filter((a) => a.kind === 'finding');
  if (findings.length > 0) {
    const worst = findings.some((a) => a.kind === 'finding' && a.finding.level === 'error') ? 'red-fg' : 'yellow-fg';
    const first = findings[0];
    out.push({ text: `!${first.kind === 'finding' ? first.finding.code : ''}${findings.length > 1 ? ` +${findings.length - 1}` : ''}`, style: worst });
  }
  const pair = frame.annotations.find((a) => a.kind === 'pair');
  if (pair && pair.kind === 'pair') out.push({ text: formatLatency(pair.latencyUs), style: 'gray-fg' });
  return out;
}
