import { heldFrameKey, openInterceptPrompt, setInterceptFilter, type EditRequest } from './intercept-actions';
import { compileSearch, findRow } from './search-pattern';
import type { SessionSummary } from './session-table';
import type { ListCursor } from './list-cursor';
import type { TuiModel } from './tui-model';

/** What a key asks of the program around the model: quit, or run the editor on a held frame. */
export type KeyOutcome = 'quit' | EditRequest | undefined;

/** Every key, as the help screen lists it. */
export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['j / Down, k / Up', 'move the cursor (or scroll the focused detail pane)'],
  ['g / Home, G / End', 'first / last row'],
  ['PgUp / PgDn, Space', 'page up / down'],
  ['Enter', 'open: a session\'s frames, a frame\'s detail'],
  ['Tab', 'switch focus between the frame list and the detail pane'],
  ['Esc / q', 'back: close the detail, then the frames screen'],
  ['Q / Ctrl-C', 'quit (the proxy stops; the terminal is restored)'],
  ['/', 'search (text, case-insensitive, or /regex/); n next, N previous'],
  ['f', 'filter frames (empty clears); on the sessions screen: all sessions\' frames'],
  ['a', 'frames of all sessions'],
  ['F', 'follow: keep the newest frame selected as frames arrive'],
  ['p', 'pause the display (the proxy keeps forwarding); p again resumes'],
  ['x', 'literals in the detail pane as hex or text'],
  ['t', 'IDLE timeline: per session, IDLE periods as bars, updates and findings as marks (t or Esc back)'],
  ['  j / k', 'timeline: previous / next session'],
  ['  ← / →, ^ / $', 'timeline: previous / next mark of the session (the view follows); first / last mark'],
  ['  + / -, 0', 'timeline: zoom the time axis in / out, fit the whole capture'],
  ['  h / l', 'timeline: pan back / forward in time'],
  ['  Enter', 'timeline: the mark\'s frame in its session\'s frames (Esc back)'],
  ['i', 'intercept (live): hold frames of either direction that match a filter until you act; empty forwards all held'],
  ['  r / d / e', 'on a HELD frame: forward it / drop it / edit it in $EDITOR (vi), sent when saved'],
  ['  H', 'the next held frame (the frames of all sessions if need be)'],
  ['?', 'this help (Esc, q or ? closes)'],
  ['mouse', 'wheel scrolls, click selects, click on the selected row opens'],
];

/** The text a `/` search matches on the sessions screen. */
export function sessionSearchText(s: SessionSummary): string {
  const id = s.identity;
  return `#${s.info.id} ${s.info.client} ${s.info.upstream} ${id.user ?? ''} ${id.mailbox ?? ''}`;
}

/**
 * Apply one key to the model. Keys are normalised by the terminal layer: printable keys as the
 * character typed (`G`, `/`), others by name (`up`, `pagedown`, `enter`, `escape`, `tab`,
 * `backspace`, `C-c`).
 */
export function handleKey(model: TuiModel, key: string): KeyOutcome {
  if (key === 'C-c') return 'quit';
  if (model.prompt) {
    promptKey(model, key);
    return undefined;
  }
  model.message = undefined;
  if (model.help) {
    if (key === 'escape' || key === 'q' || key === '?' || key === 'enter') model.help = false;
    else if (key === 'j' || key === 'down') model.helpScroll += 1;
    else if (key === 'k' || key === 'up') model.helpScroll = Math.max(0, model.helpScroll - 1);
    else if (key === 'Q') return 'quit';
    return undefined;
  }
  switch (key) {
    case 'Q': return 'quit';
    case '?': model.help = true; model.helpScroll = 0; return undefined;
    case 'p': model.togglePause(); return undefined;
    case '/': model.prompt = { kind: 'search', text: '' }; return undefined;
    case 'f': model.prompt = { kind: 'filter', text: model.filter?.source ?? '' }; return undefined;
    case 'i': openInterceptPrompt(model); return undefined;
    case 'n': search(model, 1); return undefined;
    case 'N': search(model, -1); return undefined;
    case 'a': model.openFrames(undefined); return undefined;
    case 'escape':
    case 'q': model.back(); return undefined;
    case 't':
      if (model.screen === 'timeline') model.back();
      else model.openTimeline();
      return undefined;
    default:
  }
  if (model.screen !== 'timeline') {
    const held = heldFrameKey(model, key);
    if (typeof held === 'object') return held;
    if (held) return undefined;
  }
  if (model.screen === 'timeline') timelineKey(model, key);
  else if (model.screen === 'sessions') sessionsKey(model, key);
  else framesKey(model, key);
  return undefined;
}

function promptKey(model: TuiModel, key: string): void {
  const prompt = model.prompt;
  if (!prompt) return;
  if (key === 'escape') {
    model.prompt = undefined;
  } else if (key === 'enter') {
    model.prompt = undefined;
    if (prompt.kind === 'filter') model.setFilter(prompt.text);
    else if (prompt.kind === 'intercept') setInterceptFilter(model, prompt.text);
    else if (prompt.text !== '') {
      model.lastSearch = prompt.text;
      search(model, 1);
    }
  } else if (key === 'backspace') {
    prompt.text = prompt.text.slice(0, -1);
  } else if (key === 'space') {
    prompt.text += ' ';
  } else if ([...key].length === 1) {
    prompt.text += key;
  }
}

/** Cursor keys shared by both lists; true when the key was one of them. */
function cursorKey(key: string, cursor: { move(d: number, n: number): void; page(d: 1 | -1, n: number): void; home(n: number): void; end(n: number): void }, count: number): boolean {
  switch (key) {
    case 'j': case 'down': cursor.move(1, count); return true;
    case 'k': case 'up': cursor.move(-1, count); return true;
    case 'g': case 'home': cursor.home(count); return true;
    case 'G': case 'end': cursor.end(count); return true;
    case 'pagedown': case 'space': case 'C-f': cursor.page(1, count); return true;
    case 'pageup': case 'C-b': cursor.page(-1, count); return true;
    default: return false;
  }
}

function sessionsKey(model: TuiModel, key: string): void {
  const count = model.sessions.list.length;
  if (cursorKey(key, model.sessionCursor, count)) return;
  if (key === 'enter' || key === 'tab') {
    const s = model.sessions.list[model.sessionCursor.cursor];
    if (s) model.openFrames(s.info.id);
  }
}

function timelineKey(model: TuiModel, key: string): void {
  const state = model.timelineState;
  const list = model.sessions.list;
  const now = model.now();
  const rows = (move: (c: ListCursor, n: number) => void): void => state.moveRow(move, list, now);
  switch (key) {
    case 'j': case 'down': rows((c, n) => c.move(1, n)); return;
    case 'k': case 'up': rows((c, n) => c.move(-1, n)); return;
    case 'g': case 'home': rows((c, n) => c.home(n)); return;
    case 'G': case 'end': rows((c, n) => c.end(n)); return;
    case 'pagedown': case 'space': case 'C-f': rows((c, n) => c.page(1, n)); return;
    case 'pageup': case 'C-b': rows((c, n) => c.page(-1, n)); return;
    case 'right': if (!state.moveMark(1, list, now)) model.say('no later mark in this session'); return;
    case 'left': if (!state.moveMark(-1, list, now)) model.say('no earlier mark in this session'); return;
    case '^': state.endMark(false, list, now); return;
    case '$': state.endMark(true, list, now); return;
    case '+': case '=': if (!state.zoomIn(now, list)) model.say('zoomed in as far as it goes'); return;
    case '-': case '_': if (!state.zoomOut(now)) model.say('the whole capture is in view'); return;
    case '0': state.fit(); return;
    case 'h': state.pan(-1, now); return;
    case 'l': state.pan(1, now); return;
    case 'enter': model.jumpFromTimeline(); return;
    default:
  }
}

function framesKey(model: TuiModel, key: string): void {
  const view = model.frames;
  if (!view) return;
  if (model.focus === 'detail' && model.detail && detailKey(model, key)) return;
  const before = view.cursor.cursor;
  if (cursorKey(key, view.cursor, view.rows.length)) {
    // Moving away from the newest frame stops following, as in less's F.
    if (view.cursor.cursor < before || (key !== 'G' && key !== 'end' && view.cursor.cursor < view.rows.length - 1)) view.following = false;
    if (model.detail) model.openDetail();
    return;
  }
  switch (key) {
    case 'enter':
      if (model.detail) model.focus = 'detail';
      else model.openDetail();
      return;
    case 'tab':
      if (!model.detail) model.openDetail();
      model.focus = model.focus === 'list' && model.detail ? 'detail' : 'list';
      return;
    case 'F':
      view.following = !view.following;
      if (view.following) view.cursor.end(view.rows.length);
      if (model.detail) model.openDetail();
      model.say(view.following ? 'following new frames' : 'not following');
      return;
    case 'x':
      model.hex = !model.hex;
      model.say(model.hex ? 'literals as hex' : 'literals as text');
      return;
    default:
  }
}

/** Scrolling keys while the detail pane has the focus; true when handled. */
function detailKey(model: TuiModel, key: string): boolean {
  const d = model.detail;
  if (!d) return false;
  const page = 10;
  switch (key) {
    case 'j': case 'down': d.scroll += 1; break;
    case 'k': case 'up': d.scroll -= 1; break;
    case 'g': case 'home': d.scroll = 0; break;
    case 'G': case 'end': d.scroll = d.lines; break;
    case 'pagedown': case 'space': d.scroll += page; break;
    case 'pageup': d.scroll -= page; break;
    case 'x': model.hex = !model.hex; return true;
    default: return false;
  }
  d.scroll = Math.max(0, Math.min(d.scroll, Math.max(0, d.lines - 1)));
  return true;
}

function search(model: TuiModel, direction: 1 | -1): void {
  const source = model.lastSearch;
  if (source === undefined) {
    model.say('no search yet: / starts one');
    return;
  }
  const pattern = compileSearch(source);
  if (!pattern.ok) {
    model.say(pattern.message, true);
    return;
  }
  if (model.screen === 'sessions' || model.screen === 'timeline') {
    const list = model.sessions.list;
    const timeline = model.screen === 'timeline' ? model.timelineState : undefined;
    const cursor = timeline ? timeline.rows : model.sessionCursor;
    const row = findRow(list.length, cursor.cursor, direction, (r) => sessionSearchText(list[r]), pattern.test);
    if (row === undefined) model.say(`not found: ${source}`, true);
    else if (timeline) timeline.moveRow((c, n) => c.jump(row, n), list, model.now());
    else cursor.jump(row, list.length);
    return;
  }
  const view = model.frames;
  if (!view) return;
  const rows = view.rows;
  const row = findRow(rows.length, view.cursor.cursor, direction, (r) => model.store.text(rows[r]), pattern.test);
  if (row === undefined) {
    model.say(`not found: ${source}`, true);
    return;
  }
  if (row !== view.cursor.cursor) view.following = false;
  view.cursor.jump(row, rows.length);
  if (model.detail) model.openDetail();
  model.say(`/${source}: row ${row + 1} of ${rows.length}`);
}
