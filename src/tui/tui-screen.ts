import blessed from 'blessed';
import { renderScreen, type ScreenImage } from './render/screen-layout';
import { handleKey } from './view-model/key-actions';
import { applyEdit, type EditRequest } from './view-model/intercept-actions';
import { editHeldFrame, editorCommand } from './held-frame-editor';
import type { TuiModel } from './view-model/tui-model';
import { stderr } from '../headless/terminal-output';

/** Redraws at most this often while events stream in. */
const RENDER_DELAY_MS = 40;

/**
 * The terminal side of the TUI and the only place that touches blessed: one full-screen box whose
 * content is the rendered image, keys and mouse turned into model actions, a one-second tick for
 * live durations, and the terminal restored however the process ends (quit, Ctrl-C, a signal,
 * an uncaught exception).
 */
export class TuiScreen {
  private readonly screen: blessed.Widgets.Screen;
  private readonly box: blessed.Widgets.BoxElement;
  private timer: NodeJS.Timeout | undefined;
  private readonly tick: NodeJS.Timeout;
  private image: ScreenImage | undefined;
  private destroyed = false;
  /** The editor is open on a held frame: keys wait until it closes. */
  private editing = false;
  private readonly restore = (): void => this.destroy();
  private readonly crash = (err: unknown): void => {
    this.destroy();
    stderr.write(`imapdbg: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  };

  constructor(private readonly model: TuiModel, private readonly onQuit: () => void) {
    this.screen = blessed.screen({ smartCSR: true, title: 'imapdbg', fullUnicode: true, warnings: false, autoPadding: false });
    // With a UTF-8 terminal, never translate characters to the line-drawing charset (ACS): blessed
    // would otherwise send the Latin-1 bytes £ ° ± · of a message as ACS codes (NCURSES_NO_UTF8_ACS).
    const tput = (this.screen as unknown as { tput: { unicode: boolean; brokenACS: boolean } }).tput;
    if (tput.unicode) tput.brokenACS = true;
    this.box = blessed.box({ parent: this.screen, top: 0, left: 0, width: '100%', height: '100%', tags: false, wrap: false });
    process.once('exit', this.restore);
    process.on('uncaughtException', this.crash);
    process.on('unhandledRejection', this.crash);
    this.screen.on('keypress', (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg | undefined) => this.onKey(ch, key));
    this.screen.on('resize', () => this.render());
    this.box.on('wheeldown', () => this.keys('j', 'j', 'j'));
    this.box.on('wheelup', () => this.keys('k', 'k', 'k'));
    this.box.on('click', (data: blessed.Widgets.Events.IMouseEventArg) => this.onClick(data.y));
    model.onChange = () => this.scheduleRender();
    this.tick = setInterval(() => this.render(), 1000);
    this.tick.unref();
    this.render();
  }

  /** Ask for a redraw soon; bursts of events cost one redraw. */
  scheduleRender(): void {
    if (this.timer || this.destroyed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, RENDER_DELAY_MS);
  }

  /** Leave the alternate screen and give the terminal back as it was. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    clearInterval(this.tick);
    if (this.timer) clearTimeout(this.timer);
    process.off('exit', this.restore);
    process.off('uncaughtException', this.crash);
    process.off('unhandledRejection', this.crash);
    this.screen.destroy();
  }

  private render(): void {
    if (this.destroyed) return;
    const width = Number(this.screen.width);
    const height = Number(this.screen.height);
    // While paused the picture stays as it was, but keys still move through it.
    this.image = renderScreen(this.model, width, height);
    this.box.setContent(this.image.lines.join('\n'));
    this.screen.render();
  }

  private onKey(ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg | undefined): void {
    const name = normaliseKey(ch, key);
    if (name === undefined) return;
    this.keys(name);
  }

  private keys(...names: string[]): void {
    if (this.editing) return;
    for (const name of names) {
      const outcome = handleKey(this.model, name);
      if (outcome === 'quit') {
        this.onQuit();
        return;
      }
      if (outcome) {
        this.edit(outcome);
        return;
      }
    }
    this.render();
  }

  /** Suspend the screen, run $EDITOR on the held frame, then send the edit or say why not. */
  private edit(request: EditRequest): void {
    this.editing = true;
    const command = editorCommand();
    const run = (file: string): Promise<boolean> => new Promise((resolve, reject) => {
      this.screen.exec(command.file, command.args(file), {}, (err: Error | null, ok: boolean) => (err ? reject(err) : resolve(ok)));
    });
    editHeldFrame(request.held, run)
      .then((outcome) => applyEdit(this.model, request.held, outcome))
      .catch((err: unknown) => this.model.say(`the editor did not run: ${err instanceof Error ? err.message : String(err)}; the frame is still held`, true))
      .finally(() => {
        this.editing = false;
        this.render();
      });
  }

  private onClick(y: number): void {
    const image = this.image;
    const m = this.model;
    if (!image || m.help || m.prompt) return;
    const row = y - image.listTop;
    if (row < 0 || row >= image.listRows) return;
    if (m.screen === 'timeline') {
      const rows = m.timelineState.rows;
      const target = rows.top + row;
      if (target >= m.sessions.list.length) return;
      if (target === rows.cursor) this.keys('enter');
      else { m.timelineState.moveRow((c, n) => c.jump(target, n), m.sessions.list, m.now()); this.render(); }
      return;
    }
    if (m.screen === 'sessions') {
      const target = m.sessionCursor.top + row;
      if (target >= m.sessions.list.length) return;
      if (target === m.sessionCursor.cursor) this.keys('enter');
      else { m.sessionCursor.jump(target, m.sessions.list.length); this.render(); }
      return;
    }
    const view = m.frames;
    if (!view) return;
    const target = view.cursor.top + row;
    if (target >= view.rows.length) return;
    if (target === view.cursor.cursor) { this.keys('enter'); return; }
    view.cursor.jump(target, view.rows.length);
    view.following = false;
    if (m.detail) m.openDetail();
    this.render();
  }
}

/** blessed key events as the model's key names: printable characters as typed, others by name. */
function normaliseKey(ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg | undefined): string | undefined {
  if (key?.full === 'C-c') return 'C-c';
  // blessed reports Enter twice ('return' and then 'enter'); take one.
  if (key?.name === 'return') return undefined;
  const named = ['up', 'down', 'left', 'right', 'pageup', 'pagedown', 'home', 'end', 'enter', 'escape', 'tab', 'backspace'];
  if (key && named.includes(key.name)) return key.name;
  if (key?.full === 'C-f' || key?.full === 'C-b') return key.full;
  if (ch === ' ') return 'space';
  if (ch !== undefined && ch.length === 1 && ch >= ' ' && ch !== '\x7f') return ch;
  return undefined;
}
