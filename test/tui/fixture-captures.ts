// The fixture captures the TUI tests open, by name: one place to change when a fixture is renamed
// or converted (e.g. to .pcapng).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './tmux-pane';

/** File endings a fixture capture may have, preferred first. */
const CAPTURE_ENDINGS = ['.imapcap', '.pcapng'];

/** The path of `fixtures/<name>.*`, whichever capture format is on this branch. */
export function fixtureCapture(name: string): string {
  for (const ending of CAPTURE_ENDINGS) {
    const file = path.join(REPO, 'fixtures', `${name}${ending}`);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`no fixture capture fixtures/${name}.* (looked for ${CAPTURE_ENDINGS.join(', ')})`);
}

/** The demo's fixture: LOGIN, SELECT, FETCH, IDLE receiving `* 3 EXISTS` and `* 3 RECENT`, DONE, LOGOUT. */
export const IDLE_UPDATES = 'idle-updates';
