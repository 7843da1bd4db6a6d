// `imapdbg view FILE --speed X` in tmux at 80x24 on the bundled idle-updates fixture: the capture
// plays in (scaled) real time, frames show up as they come, the frames screen follows them as it
// does live, and the status bar says it is playing until the last event is in.
//
// The fixture's session lasts 0.88 s (most of it the IDLE wait for `* 3 EXISTS`), so at --speed 20
// it plays in 44 ms, before a screen could be read: that run only checks that a fast playback ends
// with everything shown. The progression itself is watched at --speed 0.1 (the EXISTS comes about
// 8 s after the start). Waits are bounded polls that turn a hang into a failure, not timing checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { IMAPDBG, REPO, shellQuote, TmuxPane } from '../tui/tmux-pane';

const FIXTURE = path.join(REPO, 'fixtures', 'idle-updates.pcapng');
const T = { timeout: 90_000 };
const LAST = /S: a5 OK Logout completed/;
const EXISTS = /S: \* 3 EXISTS/;

/** Starts `view FIXTURE --speed X` at 80x24 and opens session 1 as soon as it is listed. */
async function openPlayback(pane: TmuxPane, speed: string): Promise<string> {
  await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
  pane.run(`node ${IMAPDBG} view ${shellQuote(FIXTURE)} --speed ${speed}`);
  const sessions = await pane.waitFor(/imapdbg — sessions \(1\)/, 'the session to be listed');
  pane.keys('Enter');
  await pane.waitFor(/session #1 /, 'the frames of session 1');
  return sessions;
}

async function quit(pane: TmuxPane): Promise<void> {
  pane.keys('Q');
  await pane.waitFor((s) => /^\$\s*$/m.test(s) && !s.includes('imapdbg —'), 'the shell after Q');
}

test('view --speed 0.1 at 80x24: frames appear progressively, the list follows them, the status says playing, then loaded', T, async () => {
  const pane = TmuxPane.start(80, 24);
  try {
    const sessions = await openPlayback(pane, '0.1');
    assert.match(sessions, /\| speed 0\.1× \| playing/, 'the sessions screen says the capture is still playing');
    // The frames before the IDLE come within the first 0.4 s; the IDLE's update only ~8 s later.
    const early = await pane.waitFor(/C: a4 IDLE/, 'the IDLE command', 30_000);
    assert.doesNotMatch(early, EXISTS, 'the IDLE update is shown before its time');
    assert.doesNotMatch(early, LAST, 'the last frame is shown before its time');
    assert.doesNotMatch(early, /loaded \d+ frames/);
    assert.match(early, /\| speed 0\.1× \| FOLLOW/, 'the status bar shows the playback');
    assert.match(early, /\(following\)/);

    // Later the update, the DONE, and the LOGOUT at the bottom of the followed list.
    const later = await pane.waitFor(LAST, 'the last frame', 45_000);
    assert.match(later, EXISTS);
    assert.match(later, /C: DONE/);
    const rows = later.replace(/\n$/, '').split('\n');
    assert.equal(rows.length, 24, 'the screen fills the terminal');
    assert.match(rows[21], LAST, 'the newest frame is the last row of the list');
    await pane.waitFor(/loaded 25 frames/, 'the end of the playback');
    await quit(pane);
  } finally {
    pane.kill();
  }
});

test('view --speed 20 at 80x24: a fast playback ends with every frame in and the status back to loaded', T, async () => {
  const pane = TmuxPane.start(80, 24);
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`node ${IMAPDBG} view ${shellQuote(FIXTURE)} --speed 20`);
    const done = await pane.waitFor(/loaded 25 frames/, 'the playback to end', 30_000);
    assert.match(done, /^\s+1 127\.0\.0\.1:\d+ .*alice\s+INBOX\s+closed\s+122\s+1\.8K\s+25\s/m);
    pane.keys('Enter');
    await pane.waitFor(/session #1 /, 'the frames of session 1');
    pane.keys('G');
    const end = await pane.waitFor(LAST, 'the last frame after G');
    assert.match(end, /25\/25/);
    assert.match(end, /\| speed 20× \| (FOLLOW|loaded)/);
    assert.doesNotMatch(end, /playing/);
    await quit(pane);
  } finally {
    pane.kill();
  }
});
