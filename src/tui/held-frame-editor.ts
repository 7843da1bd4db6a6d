import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HeldFrame } from '../lab/intercept-stage';
import { bytesOfEditFile, editFileOf, type EditOutcome } from '../lab/intercept-edit-format';

/** An edited file larger than this is not read back (the frame stays held). */
export const MAX_EDITED_BYTES = 64 * 1024 * 1024;

/**
 * Runs the editor on a file in the foreground (the terminal UI suspended meanwhile); resolves
 * true when it exited with status 0.
 */
export type EditorRunner = (file: string) => Promise<boolean>;

/** The command that opens a file in the user's editor: `$EDITOR` (which may carry arguments), or vi. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): { file: string; args: (file: string) => string[] } {
  const editor = env.EDITOR?.trim() || 'vi';
  // Through sh, as git does, so `EDITOR="emacs -nw"` works; the file name goes as "$1", never parsed.
  return { file: '/bin/sh', args: (file) => ['-c', `${editor} "$1"`, 'imapdbg-edit', file] };
}

/**
 * Let the user edit a held frame: the frame goes into a private temporary file (mode 0600 in a
 * fresh 0700 directory, removed afterwards whatever happens), the editor runs, and the file is
 * read back into bytes. An editor that fails (exit status not 0, e.g. vim's `:cq`) cancels.
 */
export async function editHeldFrame(held: HeldFrame, run: EditorRunner): Promise<EditOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-edit-'));
  try {
    const file = path.join(dir, `session-${held.session}-frame-${held.seq}.imap.txt`);
    const who = held.direction === 'client' ? 'C: from the client, to the server' : 'S: from the server, to the client';
    const written = editFileOf(held.bytes, held.frame.parts, [`imapdbg intercept: session #${held.session}, frame ${held.seq}, ${who}, ${held.bytes.length} bytes.`]);
    fs.writeFileSync(file, written.text, { mode: 0o600, flag: 'wx' });
    if (!(await run(file))) return { kind: 'cancel' };
    const size = fs.statSync(file).size;
    if (size > MAX_EDITED_BYTES) return { kind: 'error', message: `the edited file is larger than ${MAX_EDITED_BYTES} bytes` };
    return bytesOfEditFile(fs.readFileSync(file), written);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
