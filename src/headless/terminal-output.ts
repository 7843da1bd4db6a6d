import type { Writable } from 'node:stream';
import { oneLineText, terminalJson, terminalText } from '../imap/terminal-text';

/**
 * Where every human-readable line imapdbg prints goes: standard output and standard error through
 * the one terminal escaper (terminal-text.ts), so no string from a peer reaches a terminal raw and
 * no command can forget to escape. A test forbids `process.stdout.write` and friends elsewhere.
 * Escaping is idempotent: text escaped before (frame text) passes unchanged.
 */
export interface TextOutput {
  /** Write text; false when the stream's buffer is full (wait for `onDrain`). */
  write(text: string): boolean;
  /** Call `listener` once the stream can take more. */
  onDrain(listener: () => void): void;
}

/** A text output onto a stream, escaping for the terminal. */
export function terminalOutput(stream: Writable): TextOutput {
  return {
    write: (text) => stream.write(terminalText(text)),
    onDrain: (listener) => { stream.once('drain', listener); },
  };
}

/** A JSON output onto a stream: valid JSON with C1, DEL and bidi characters as `\uNNNN`. */
export function jsonOutput(stream: Writable): TextOutput {
  return {
    write: (json) => stream.write(terminalJson(json)),
    onDrain: (listener) => { stream.once('drain', listener); },
  };
}

/** Standard output for human-readable text. */
export const stdout: TextOutput = terminalOutput(process.stdout);
/** Standard error for messages (they may quote a peer's or a capture's strings). */
export const stderr: TextOutput = terminalOutput(process.stderr);
/** Standard output for JSON. */
export const stdoutJson: TextOutput = jsonOutput(process.stdout);

/** One line of standard error rewritten in place (a progress meter): drawn only on a terminal. */
export interface StatusLine {
  /** Standard error is a terminal (piped or redirected, nothing should be drawn). */
  readonly terminal: boolean;
  show(text: string): void;
  clear(): void;
}

/**
 * The status line on standard error: `\r`, the escaped text cut to the terminal's width, erase to the
 * end of the line; only those controls are imapdbg's own. Draws nothing unless stderr is a terminal.
 */
export const stderrStatus: StatusLine = {
  get terminal(): boolean { return process.stderr.isTTY === true; },
  show: (text) => {
    if (!stderrStatus.terminal) return;
    // Cut to the width when the terminal tells it (a pseudo-terminal without a size says 0).
    const columns = process.stderr.columns ?? 0;
    const line = oneLineText(text);
    process.stderr.write(`\r${columns > 10 ? line.slice(0, columns - 1) : line}\x1b[K`);
  },
  clear: () => { if (stderrStatus.terminal) process.stderr.write('\r\x1b[K'); },
};
