// The IDLE timeline's view model, without a terminal: time -> column scaling, axis ticks, zoom and
// pan, the bar/mark layout of a row, N sessions with only the visible rows laid out, the jump
// target of a mark, and peer strings escaped on the timeline screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/imap/frame';
import { renderScreen } from '../../src/tui/render/screen-layout';
import { handleKey } from '../../src/tui/view-model/key-actions';
import { axisTicks, captureSpan, columnOf, maxZoom, MIN_VIEW_SPAN_US, timeOfColumn, viewAt } from '../../src/tui/view-model/timeline-axis';
import type { IdleBand } from '../../src/tui/view-model/idle-bands';
import type { SessionTrack, TimelineMark } from '../../src/tui/view-model/timeline-index';
import { layoutRow, nearest } from '../../src/tui/view-model/timeline-view';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { terminalHazards } from '../hostile/terminal-hazards';
import { makeFrame } from './frame-samples';

const T0 = 1_700_000_000_000_000;
const S = 1_000_000;

function model(mode: 'live' | 'file' = 'file', nowUs = 0): TuiModel {
  return new TuiModel({ source: { mode, title: 'test' }, revealSecrets: false, utc: true, now: () => nowUs });
}

function open(m: TuiModel, id: number, startUs = T0): void {
  m.handle({ type: 'session-open', session: { id, startUs, client: `127.0.0.1:${5000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
}

/** A session that logs in, selects INBOX and idles from +1s to +9s, with an EXISTS at +5s. */
function idleSession(m: TuiModel, id: number, offsetUs = 0, mailbox = 'INBOX'): void {
  let seq = 0;
  const at = (s: number): { timeUs: number } => ({ timeUs: T0 + offsetUs + s * S });
  const f = (d: 'client' | 'server', k: Frame['kind'], text: string, e: Parameters<typeof makeFrame>[5] = {}): Frame => makeFrame(id, ++seq, d, k, text, e);
  open(m, id, T0 + offsetUs);
  const frames = [
    f('client', 'command', 'a1 LOGIN alice x', at(0.1)),
    f('server', 'tagged', 'a1 OK', at(0.2)),
    f('client', 'command', `a2 SELECT ${mailbox}`, at(0.3)),
    f('server', 'tagged', 'a2 OK', at(0.4)),
    f('client', 'command', 'a3 IDLE', at(1)),
    f('server', 'continuation', '+ idling', at(1.001)),
    f('server', 'untagged', '* 4 EXISTS', at(5)),
    f('server', 'untagged', '* OK Still here', at(7)),
    f('client', 'idle-done', 'DONE', at(8.9)),
    f('server', 'tagged', 'a3 OK done', at(9)),
    f('client', 'command', 'a4 NOOP', { ...at(9.5), annotations: [{ kind: 'finding', finding: { level: 'warning', code: 'poll', rfc: 'RFC 2177', message: 'm' } }] }),
    f('server', 'tagged', 'a4 OK', at(9.6)),
  ];
  for (const frame of frames) m.handle({ type: 'frame', frame });
  m.handle({ type: 'session-close', session: id, timeUs: T0 + offsetUs + 10 * S, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: frames.length });
}

test('scaling: time to column and back over the capture span', () => {
  const view = viewAt({ startUs: T0, endUs: T0 + 10 * S }, 0, undefined);
  assert.deepEqual(view, { startUs: T0, spanUs: 10 * S });
  assert.equal(columnOf(T0, view, 50), 0);
  assert.equal(columnOf(T0 + 5 * S, view, 50), 25);
  assert.equal(columnOf(T0 + 10 * S - 1, view, 50), 49);
  assert.equal(columnOf(T0 + 10 * S, view, 50), 50, 'the end is just off the plot');
  assert.equal(columnOf(T0 - 1, view, 50), -1);
  assert.equal(timeOfColumn(25, view, 50), T0 + 5 * S);
  // An empty or one-instant capture still has a finite scale.
  assert.deepEqual(captureSpan(undefined, undefined, T0), { startUs: T0, endUs: T0 + MIN_VIEW_SPAN_US });
  assert.deepEqual(captureSpan(T0, T0, 0), { startUs: T0, endUs: T0 + MIN_VIEW_SPAN_US });
  // Live: the span runs to now.
  assert.deepEqual(captureSpan(T0, T0 + S, T0 + 3 * S), { startUs: T0, endUs: T0 + 3 * S });
});

test('axis: round ticks whose labels fit, more precise as the view narrows', () => {
  const wide = axisTicks({ startUs: T0, spanUs: 600 * S }, 60, true);
  assert.ok(wide.length >= 2);
  for (let i = 1; i < wide.length; i++) assert.ok(wide[i].column - wide[i - 1].column >= wide[i - 1].label.length + 2, 'labels do not overlap');
  assert.match(wide[0].label, /^\d\d:\d\d(:\d\d)?$/);
  const narrow = axisTicks({ startUs: T0, spanUs: 50_000 }, 60, true);
  assert.match(narrow[0].label, /^\d\d:\d\d:\d\d\.\d{3}$/);
  const tiny = axisTicks({ startUs: T0 + 7, spanUs: 1000 }, 60, true);
  assert.match(tiny[0].label, /^\d\d:\d\d:\d\d\.\d{6}$/);
  // Every tick is at a multiple of the step: the first of a 10 s view of 60 columns is 2 s apart.
  const ten = axisTicks({ startUs: T0 + 300_000, spanUs: 10 * S }, 60, true);
  assert.equal(ten[0].label, '22:13:22');
  assert.equal(ten[0].column, columnOf(T0 + 2 * S, { startUs: T0 + 300_000, spanUs: 10 * S }, 60));
});

test('zoom and pan: halve around the cursor mark, clamp at the ends, fit again at level 0', () => {
  const m = model();
  idleSession(m, 1);
  const st = m.timelineState;
  const list = m.sessions.list;
  const span = st.span(0);
  assert.deepEqual(span, { startUs: T0, endUs: T0 + 10 * S });
  st.rows.jump(0, 1);
  st.mark = 1; // the EXISTS at +5s
  assert.equal(st.cursorMark(list)?.kind, 'update');
  assert.ok(st.zoomIn(0, list));
  assert.deepEqual(st.view(0), { startUs: T0 + 2.5 * S, spanUs: 5 * S });
  assert.ok(st.zoomIn(0, list));
  assert.deepEqual(st.view(0), { startUs: T0 + 3.75 * S, spanUs: 2.5 * S });
  st.pan(1, 0);
  assert.deepEqual(st.view(0), { startUs: T0 + 4.375 * S, spanUs: 2.5 * S });
  for (let i = 0; i < 20; i++) st.pan(1, 0);
  assert.deepEqual(st.view(0), { startUs: T0 + 7.5 * S, spanUs: 2.5 * S }, 'panning stops at the end of the capture');
  for (let i = 0; i < 20; i++) st.pan(-1, 0);
  assert.deepEqual(st.view(0), { startUs: T0, spanUs: 2.5 * S }, 'and at its start');
  assert.ok(st.zoomOut(0));
  assert.deepEqual(st.view(0), { startUs: T0, spanUs: 5 * S });
  assert.ok(st.zoomOut(0));
  assert.deepEqual(st.view(0), { startUs: T0, spanUs: 10 * S });
  assert.equal(st.zoomOut(0), false, 'level 0 is the whole capture');
  // Zooming stops at 1 ms across the plot.
  assert.equal(maxZoom(span), 13);
  let n = 0;
  while (st.zoomIn(0, list)) n++;
  assert.equal(n, 13);
  assert.ok(st.view(0).spanUs >= MIN_VIEW_SPAN_US);
  st.fit();
  assert.deepEqual(st.view(0), { startUs: T0, spanUs: 10 * S });
});

test('moving to a mark off screen pans the zoomed view to it', () => {
  const m = model();
  idleSession(m, 1);
  const st = m.timelineState;
  const list = m.sessions.list;
  st.mark = 0;
  for (let i = 0; i < 3; i++) st.zoomIn(0, list);
  const before = st.view(0);
  assert.ok(before.startUs <= T0 + S && T0 + S < before.startUs + before.spanUs, 'the IDLE start is on screen');
  assert.ok(st.moveMark(1, list, 0));
  assert.equal(st.cursorMark(list)?.kind, 'update');
  const v = st.view(0);
  assert.ok(v.startUs <= T0 + 5 * S && T0 + 5 * S < v.startUs + v.spanUs, 'the EXISTS is on screen');
  assert.ok(st.moveMark(1, list, 0));
  assert.equal(st.cursorMark(list)?.kind, 'keepalive');
  assert.ok(st.moveMark(1, list, 0));
  assert.ok(st.moveMark(1, list, 0));
  assert.equal(st.cursorMark(list)?.kind, 'finding');
  assert.equal(st.moveMark(1, list, 0), false, 'no mark after the last');
});

test('row layout: the session as dots, the IDLE period as a bar, the update and finding as marks', () => {
  const m = model();
  idleSession(m, 1);
  const track = m.timeline.track(1);
  assert.deepEqual(track.marks.map((k) => k.kind), ['idle', 'update', 'keepalive', 'end', 'finding']);
  const view = { startUs: T0, spanUs: 10 * S };
  const row = layoutRow(track, { startUs: T0, endUs: T0 + 10 * S }, view, 20, 0, track.marks[1]);
  const text = row.cells.map((c) => ({ none: ' ', alive: '.', idle: '#', keepalive: 'k', update: 'U', finding: '!' })[c]).join('');
  // 0.5 s per column: IDLE from column 2 (1 s) to 18 (9 s), EXISTS at 10 (5 s), the keepalive at 14 (7 s), NOOP's finding at 19.
  assert.equal(text, '..########U###k####!');
  assert.equal(row.selectedColumn, 10);
  // Zoomed into 4-6 s: the bar fills the plot, the update is in the middle; nothing else.
  const zoomed = layoutRow(track, { startUs: T0, endUs: T0 + 10 * S }, { startUs: T0 + 4 * S, spanUs: 2 * S }, 20, 0);
  assert.equal(zoomed.cells.map((c) => c[0]).join(''), 'iiiiiiiiiiuiiiiiiiii');
  assert.equal(zoomed.selectedColumn, -1);
});

test('row layout: an open IDLE runs to now; gaps between periods stay dots', () => {
  const band = (start: number, end?: number): IdleBand => ({ session: 1, tag: 't', startIndex: 0, startUs: T0 + start * S, endUs: end === undefined ? undefined : T0 + end * S, updates: 0 });
  const track: SessionTrack = { bands: [band(1, 3), band(5)], marks: [] };
  const row = layoutRow(track, { startUs: T0, endUs: T0 + 8 * S }, { startUs: T0, spanUs: 10 * S }, 10, T0 + 8 * S);
  assert.equal(row.cells.map((c) => c[0]).join(''), 'aiiiaiiiin');
});

test('row layout visits only the marks on screen, a few per column', () => {
  const marks: TimelineMark[] = Array.from({ length: 200_000 }, (_, i) => ({ kind: 'update', timeUs: T0 + i * 50, frame: i }));
  let reads = 0;
  const counted = new Proxy(marks, { get(target, key, receiver) {
    if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
    return Reflect.get(target, key, receiver) as unknown;
  } });
  const track: SessionTrack = { bands: [], marks: counted };
  const row = layoutRow(track, { startUs: T0, endUs: T0 + 10 * S }, { startUs: T0, spanUs: 10 * S }, 100, 0);
  assert.equal(row.cells.filter((c) => c === 'update').length, 100);
  assert.ok(reads < 100 * 80, `read ${reads} marks for 100 columns`);
});

test('N sessions: one row each, and only the visible rows are laid out for 1,000 sessions', () => {
  const m = model();
  for (let id = 1; id <= 1000; id++) idleSession(m, id, id * 1000, id === 2 ? 'Archive' : 'INBOX');
  let tracks = 0;
  const track = m.timeline.track.bind(m.timeline);
  m.timeline.track = (id: number) => { tracks++; return track(id); };
  handleKey(m, 't');
  const screen = renderScreen(m, 80, 24).lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  assert.ok(tracks <= 25, `looked at ${tracks} sessions for one screen`);
  assert.match(screen[0], /IDLE timeline .* 1\/1000 $/);
  assert.match(screen[2], /^#1 alice INBOX\s*│·+█+◆█+!?·*/);
  assert.match(screen[3], /^#2 alice Archive\s*│/);
  assert.equal(screen.filter((l) => /^#\d+ alice/.test(l)).length, 19, '24 rows - title, axis, mark line, status, keys');
  handleKey(m, 'G');
  const last = renderScreen(m, 80, 24).lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
  assert.match(last[0], / 1000\/1000 $/);
  assert.ok(last.some((l) => /^#1000 alice INBOX/.test(l)));
});

test('Enter on a mark opens its session\'s frames with the frame selected; Esc comes back, t/Esc leave', () => {
  const m = model();
  idleSession(m, 1);
  idleSession(m, 2, 20 * S);
  handleKey(m, 'j'); // sessions screen: the second session
  handleKey(m, 't');
  assert.equal(m.screen, 'timeline');
  assert.equal(m.timelineState.rows.cursor, 1, 'the timeline opens on the session selected');
  assert.equal(m.timelineState.cursorMark(m.sessions.list)?.kind, 'idle', 'on its first mark');
  handleKey(m, 'right');
  const target = m.timelineState.jumpTarget(m.sessions.list);
  assert.ok(target);
  assert.equal(target.session, 2);
  assert.equal(m.store.text(target.frame), '* 4 EXISTS');
  handleKey(m, 'enter');
  assert.equal(m.screen, 'frames');
  assert.equal(m.frames?.session, 2);
  assert.equal(m.frames?.selected, target.frame);
  assert.match(m.message?.text ?? '', /frame 7 of session #2/);
  handleKey(m, 'escape');
  assert.equal(m.screen, 'timeline', 'Esc goes back to the timeline');
  handleKey(m, 'k');
  assert.equal(m.timelineState.cursorMark(m.sessions.list)?.timeUs, T0 + 9.5 * S, 'k keeps the nearest mark in time');
  handleKey(m, 't');
  assert.equal(m.screen, 'sessions');
  handleKey(m, 'enter');
  handleKey(m, 't');
  assert.equal(m.screen, 'timeline');
  handleKey(m, 'escape');
  assert.equal(m.screen, 'frames', 'back to the frames screen it was opened from');
});

test('a jump to a frame the filter hides says so', () => {
  const m = model();
  idleSession(m, 1);
  m.setFilter('~c LOGIN');
  m.back();
  handleKey(m, 't');
  handleKey(m, 'right');
  handleKey(m, 'enter');
  assert.equal(m.screen, 'frames');
  assert.match(m.message?.text ?? '', /hidden by the filter ~c LOGIN/);
});

test('session findings and connection ends become marks in time order', () => {
  const m = model();
  open(m, 1);
  m.handle({ type: 'frame', frame: makeFrame(1, 1, 'client', 'command', 'i IDLE', { timeUs: T0 + S }) });
  m.handle({ type: 'finding', session: 1, timeUs: T0 + 2 * S, finding: { level: 'warning', code: 'idle-no-accept', rfc: 'RFC 2177', message: 'x' } });
  m.handle({ type: 'session-close', session: 1, timeUs: T0 + 3 * S, end: { by: 'server-closed' }, bytes: { client: 0, server: 0 }, frames: 1 });
  const marks = m.timeline.track(1).marks;
  assert.deepEqual(marks.map((k) => [k.kind, (k.timeUs - T0) / S, k.frame]), [['idle', 1, 0], ['finding', 2, 0], ['end', 3, 0]]);
  assert.equal(nearest(marks, T0 + 2.4 * S), 1);
  assert.equal(nearest(marks, T0), 0);
  assert.equal(nearest(marks, T0 + 99 * S), 2);
  handleKey(m, 't');
  handleKey(m, 'right');
  const line = renderScreen(m, 100, 20).lines[17].replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(line, /mark 2\/3 .* finding idle-no-accept: C: i IDLE/);
});

test('a live session: the open IDLE bar grows with the clock', () => {
  let now = T0 + 2 * S;
  const m = new TuiModel({ source: { mode: 'live', title: '127.0.0.1:1143' }, revealSecrets: false, utc: true, now: () => now });
  open(m, 1);
  m.handle({ type: 'frame', frame: makeFrame(1, 1, 'client', 'command', 'i IDLE', { timeUs: T0 + S }) });
  handleKey(m, 't');
  const bar = (): number => (renderScreen(m, 80, 10).lines[2].replace(/\x1b\[[0-9;]*m/g, '').match(/█/g) ?? []).length;
  const first = bar();
  now = T0 + 20 * S;
  assert.ok(bar() > first, 'the bar is longer as time passes');
  assert.match(renderScreen(m, 80, 10).lines[7].replace(/\x1b\[[0-9;]*m/g, ''), /IDLE \(open\)/);
});

test('the timeline shows peer strings escaped: mailbox names, tags, frame text', () => {
  const EVIL = '\x1b]0;t\x07\x9b31m\u202e\u2066';
  const m = model();
  idleSession(m, 1, 0, `m${EVIL}`);
  m.handle({ type: 'frame', frame: makeFrame(1, 99, 'client', 'command', `i${EVIL} IDLE`, { tag: `i${EVIL}`, timeUs: T0 + 9.7 * S }) });
  m.handle({ type: 'frame', frame: makeFrame(1, 100, 'server', 'untagged', `* ${EVIL}`, { timeUs: T0 + 9.8 * S }) });
  m.handle({ type: 'finding', session: 1, timeUs: T0 + 9.9 * S, finding: { level: 'error', code: `c${EVIL}`, rfc: 'r', message: EVIL } });
  handleKey(m, 't');
  const seen: string[] = [];
  for (let i = 0; i < 8; i++) {
    seen.push(renderScreen(m, 200, 30).lines.join('\n').replace(/\x1b\[[0-9;]*m/g, ''));
    handleKey(m, 'right');
  }
  for (const s of seen) assert.deepEqual(terminalHazards(s), [], s);
  assert.ok(seen.some((s) => /#1 alice m\\x1b\]0;t\\x07/.test(s)), 'the mailbox label, escaped');
  assert.ok(seen.some((s) => s.includes('C: i\\x1b]0;t\\x07\\x9b31m')), 'the tag, escaped');
  assert.ok(seen.some((s) => s.includes('finding c\\x1b]0;t')), 'the finding code, escaped');
});

test('two IDLE periods: two bars with the gap between them, the gap named from the IDLE tracker\'s annotation', () => {
  const m = model();
  open(m, 1);
  const at = (s: number): number => T0 + s * S;
  const frames = [
    makeFrame(1, 1, 'client', 'command', 'i1 IDLE', { timeUs: at(1), annotations: [{ kind: 'phase', phase: 'idle-requested', detail: { tag: 'i1' } }] }),
    makeFrame(1, 2, 'client', 'idle-done', 'DONE', { timeUs: at(2.9) }),
    makeFrame(1, 3, 'server', 'tagged', 'i1 OK', { timeUs: at(3) }),
    makeFrame(1, 4, 'client', 'command', 'i2 IDLE', { timeUs: at(6), annotations: [{ kind: 'phase', phase: 'idle-requested', detail: { tag: 'i2', gapUs: 3 * S } }] }),
    makeFrame(1, 5, 'server', 'tagged', 'i2 NO no', { timeUs: at(7) }),
  ];
  for (const frame of frames) m.handle({ type: 'frame', frame });
  m.handle({ type: 'session-close', session: 1, timeUs: at(10), end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: 5 });
  const row = layoutRow(m.timeline.track(1), { startUs: T0, endUs: at(10) }, { startUs: T0, spanUs: 10 * S }, 10, 0);
  assert.equal(row.cells.map((c) => c[0]).join(''), 'aiiiaaiiaa', 'IDLE 1-3 s, a gap, IDLE 6-7 s');
  handleKey(m, 't');
  const markLine = (): string => renderScreen(m, 120, 12).lines[9].replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(markLine(), /mark 1\/4 .* IDLE 2\.0s: C: i1 IDLE/);
  handleKey(m, 'right');
  assert.match(markLine(), /mark 2\/4 .* IDLE end, 0 updates: S: i1 OK/);
  handleKey(m, 'right');
  assert.match(markLine(), /mark 3\/4 .* IDLE 1\.0s ended NO, 3\.0s after the previous IDLE ended: C: i2 IDLE/);
});
