// Drives a program inside a private tmux server for end-to-end TUI tests: type with send-keys,
// read the screen with capture-pane. Each pane gets its own server socket (-L) so tests never
// touch the user's tmux sessions, and kill() ends only that server.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

let counter = 0;

/** The repository root (tests run from dist/test/...). */
export const REPO = path.resolve(__dirname, '..', '..', '..');
/** The launcher, as a user would run it. */
export const IMAPDBG = path.join(REPO, 'bin', 'imapdbg');

export class TmuxPane {
  private constructor(private readonly socket: string) {}

  /** A bash shell (prompt `$ `) in a new detached tmux session of the given size. */
  static start(width: number, height: number): TmuxPane {
    const socket = `imapdbg-tui-${process.pid}-${++counter}`;
    const pane = new TmuxPane(socket);
    pane.tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(width), '-y', String(height), '-c', REPO,
      'env', 'PS1=$ ', 'LANG=C.UTF-8', 'TERM=screen-256color', 'bash', '--norc', '--noprofile', '-i');
    pane.tmux('set-option', '-g', 'status', 'off');
    pane.tmux('resize-window', '-x', String(width), '-y', String(height));
    return pane;
  }

  /** Type a command line and press Enter. */
  run(command: string): void {
    this.type(command);
    this.keys('Enter');
  }

  /** Type text literally. */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  /** Press named keys (Enter, Escape, Tab, BSpace, C-c...) or single characters. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** The screen as text, one line per row. */
  screen(): string {
    return this.tmux('capture-pane', '-p');
  }

  /**
   * Poll the screen until `test` passes; a bounded wait (not a timing assertion) that turns a hang
   * into a failure showing the last screen.
   */
  async waitFor(test: RegExp | ((screen: string) => boolean), what: string, timeoutMs = 15_000): Promise<string> {
    const pass = typeof test === 'function' ? test : (s: string): boolean => test.test(s);
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = this.screen();
      if (pass(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The screen with its colours and attributes as SGR escapes (`ESC[7m` is inverse, the cursor row's highlight). */
  styledScreen(): string {
    return this.tmux('capture-pane', '-p', '-e');
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-x', String(width), '-y', String(height));
  }

  /** End this tmux server (and the programs in it). */
  kill(): void {
    try { this.tmux('kill-server'); } catch { /* already gone */ }
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

/** Single-quote a value for the pane's shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The rows of a styled screen (TmuxPane.styledScreen) drawn in inverse video, the highlight, without escapes. */
export function highlightedRows(styled: string): string[] {
  return styled.replace(/\n$/, '').split('\n')
    // eslint-disable-next-line no-control-regex
    .filter((r) => /\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m/.test(r))
    // eslint-disable-next-line no-control-regex
    .map((r) => r.replace(/\x1b\[[0-9;]*m/g, ''));
}
