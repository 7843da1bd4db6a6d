// The IDLE timeline (key t) of `imapdbg view` in tmux, at 80x24 and 200x50, on the fixture capture
// recorded from Dovecot: the IDLE bar with its EXISTS mark, zoom changing the axis labels, Enter on
// the EXISTS mark opening the frames screen with that frame highlighted, Esc back, and quitting with
// the terminal restored. Waits are bounded polls of the screen; nothing asserts a duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureCapture, IDLE_UPDATES } from '../tui/fixture-captures';
import { highlightedRows, IMAPDBG, shellQuote, TmuxPane } from '../tui/tmux-pane';

const T = { timeout: 120_000 };

/** The screen's rows. */
function rows(screen: string): string[] {
  return screen.replace(/\n$/, '').split('\n');
}

/** The axis row (under the title): the zoom caption and the tick labels. */
function axis(screen: string): string {
  return rows(screen)[1];
}

for (const [width, height] of [[80, 24], [200, 50]] as const) {
  test(`view ${width}x${height}: the IDLE timeline of the idle-updates fixture`, T, async () => {
    const pane = TmuxPane.start(width, height);
    try {
      await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
      pane.run(`node ${IMAPDBG} view --utc ${shellQuote(fixtureCapture(IDLE_UPDATES))}`);
      await pane.waitFor(/loaded \d+ frames/, 'the capture to load');

      pane.keys('t');
      const timeline = await pane.waitFor(/imapdbg — IDLE timeline/, 'the timeline screen');
      assert.equal(rows(timeline).length, height, 'the screen fills the terminal');
      assert.match(timeline, / 1\/1\s*$/m, 'one session, the cursor on it');
      const row = rows(timeline).find((r) => r.startsWith('#1 alice INBOX'));
      assert.ok(row, 'a row for session #1');
      assert.match(row, /│·+.*█+.*◆.*·*$/, 'connected dots, the IDLE bar, the EXISTS mark on it');
      assert.match(axis(timeline), /^1× \d+ms\s*│.*\|\d\d:\d\d:\d\d\.\d{3}/, 'the axis: zoom 1×, the span, clock ticks');
      assert.match(timeline, /j\/k session {2}←\/→ mark {2}\+\/- zoom/, 'the key hints');

      // Zoom in: the caption and the tick labels change; zoom out: back to the whole capture.
      const before = axis(timeline);
      pane.keys('+');
      const zoomed = await pane.waitFor((s) => axis(s).startsWith('2× '), 'zoom 2×');
      assert.notEqual(axis(zoomed).replace(/^.*│/, ''), before.replace(/^.*│/, ''), 'other tick labels after zooming in');
      pane.keys('+', '+');
      await pane.waitFor((s) => axis(s).startsWith('8× '), 'zoom 8×');
      pane.keys('-', '-', '-');
      const whole = await pane.waitFor((s) => axis(s).startsWith('1× '), 'zoom 1× again');
      assert.equal(axis(whole), before, 'the same axis as before zooming');

      // Right moves over the marks to the EXISTS the server pushed during IDLE.
      let screen = whole;
      for (let i = 0; i < 8 && !/update .*S: \* 3 EXISTS/.test(screen); i++) {
        const mark = /mark (\d+)\//.exec(screen)?.[1];
        pane.keys('Right');
        screen = await pane.waitFor((s) => /mark (\d+)\//.exec(s)?.[1] !== mark, 'the next mark');
      }
      assert.match(screen, /#1 mark \d+\/\d+ \d\d:\d\d:\d\d\.\d{3} update \+[\d.]+s into IDLE: S: \* 3 EXISTS/);
      const cursorRow = highlightedRows(pane.styledScreen()).find((r) => r.startsWith('#1 alice INBOX'));
      assert.ok(cursorRow, 'the session row is highlighted');

      // Enter: the frames screen of session #1 with the EXISTS frame highlighted.
      pane.keys('Enter');
      const frames = await pane.waitFor(/Esc back to the timeline/, 'the jump to the frame');
      assert.match(frames, /imapdbg — session #1 alice INBOX/);
      assert.match(frames, /frame \d+ of session #1/);
      const selected = highlightedRows(pane.styledScreen()).filter((r) => /S: \* \d+ |C: |S: /.test(r));
      assert.equal(selected.length, 1, `one highlighted frame row: ${JSON.stringify(selected)}`);
      assert.match(selected[0], /S: \* 3 EXISTS/);

      // Esc goes back to the timeline, t leaves it for the sessions list.
      pane.keys('Escape');
      await pane.waitFor(/imapdbg — IDLE timeline/, 'back on the timeline');
      pane.keys('t');
      await pane.waitFor(/imapdbg — sessions \(1\)/, 'the sessions screen after t');

      pane.keys('Q');
      await pane.waitFor((s) => /^\$\s*$/m.test(s) && !s.includes('imapdbg —'), 'the shell after Q');
      pane.run('echo "rc=$? modes=$(stty -a | tr \' ;\' \'\\n\\n\' | grep -x -e icanon -e -icanon -e echo -e -echo | tr \'\\n\' \',\')"');
      const shell = await pane.waitFor(/rc=\d+ modes=\S+/, 'the exit status and terminal modes');
      assert.match(shell, /rc=0 modes=icanon,echo,/);
    } finally {
      pane.kill();
    }
  });
}
