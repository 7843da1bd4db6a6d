import { compileSearch, findRow } from './search-pattern';
import type { SessionSummary } from './session-table';
import type { TuiModel } from './tui-model';

/** What a key asks of the program around the model. */
export type KeyOutcome = 'quit' | undefined;

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
    case 'n': search(model, 1); return undefined;
    case 'N': search(model, -1); return undefined;
    case 'a': model.openFrames(undefined); return undefined;
    case 'escape':
    case 'q': model.back(); return undefined;
    default:
  }
  if (model.screen === 'sessions') sessionsKey(model, key);
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
  if (model.screen === 'sessions') {
    const list = model.sessions.list;
    const row = findRow(list.length, model.sessionCursor.cursor, direction, (r) => sessionSearchText(list[r]), pattern.test);
    if (row === undefined) model.say(`not found: ${source}`, true);
    else model.sessionCursor.jump(row, list.length);
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
