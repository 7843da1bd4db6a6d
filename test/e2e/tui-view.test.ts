// `imapdbg view` in tmux on a capture recorded from a real proxy run in front of Dovecot, at
// 80x24 and 200x50: sessions, a session's frames, a filter, the detail pane with a literal in
// hex, help, search, a resize, and quitting with the terminal restored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordDovecotCapture } from '../tui/dovecot-capture';
import { IMAPDBG, shellQuote, TmuxPane } from '../tui/tmux-pane';

let dir: string;
let capture: string;
const T = { timeout: 120_000 };

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-tui-'));
  capture = path.join(dir, 'dovecot.imapcap');
  await recordDovecotCapture(capture);
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const [width, height] of [[80, 24], [200, 50]] as const) {
  test(`view ${width}x${height}: sessions, frames, filter, hex detail, help, search, quit`, T, async () => {
    const pane = TmuxPane.start(width, height);
    try {
      await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
      pane.run(`node ${IMAPDBG} view ${shellQuote(capture)}`);

      // Sessions: the main one (alice, INBOX) and the one that appended during IDLE.
      const sessions = await pane.waitFor(/loaded \d+ frames/, 'the capture to load');
      assert.match(sessions, /imapdbg — sessions \(2\)/);
      assert.match(sessions, /^\s+1 127\.0\.0\.1:\d+ .*alice\s+INBOX\s+closed/m);
      assert.match(sessions, /^\s+2 127\.0\.0\.1:\d+ .*alice\s+closed/m);
      assert.match(sessions, /file .*dovecot\.imapcap \| 2 sessions/);
      assert.equal(sessions.replace(/\n$/, '').split('\n').length, height, 'the screen fills the terminal');
      assert.match(sessions.replace(/\n$/, '').split('\n')[height - 2], /^ file /, 'the status bar is the second last row');

      // Open session 1: the login is there with the password masked.
      pane.keys('Enter');
      const frames = await pane.waitFor(/session #1 alice INBOX/, 'the frames of session 1');
      assert.match(frames, /C: \S+ LOGIN alice \*{8}/);
      assert.doesNotMatch(frames, /secret/);
      assert.match(frames, /S: \* OK/);

      // A filter: the IDLE period with its band in the gutter and the EXISTS it saw.
      pane.keys('f');
      pane.type('~idle');
      pane.keys('Enter');
      const idle = await pane.waitFor(/filter ~idle: \d+ frames/, 'the ~idle filter');
      assert.match(idle, /^┌ .* C: \S+ IDLE .*IDLE [\d.]+s/m);
      assert.match(idle, /^│ .* S: \* \d+ EXISTS/m);
      assert.match(idle, /^│ .* C: DONE/m);
      assert.match(idle, /^└ .* S: \S+ OK/m);
      assert.match(idle, /filter: ~idle/);

      // A bad filter is a message with its column, and the old filter stays.
      pane.keys('f', 'BSpace', 'BSpace', 'BSpace', 'BSpace', 'BSpace');
      pane.type('~lit >');
      pane.keys('Enter');
      await pane.waitFor(/filter error at column 7: ~lit needs a size/, 'the filter error');

      // The FETCH response with the big literal, in the detail pane, as hex.
      pane.keys('f');
      for (let i = 0; i < 8; i++) pane.keys('BSpace');
      pane.type('~c FETCH & ~lit >100K');
      pane.keys('Enter');
      await pane.waitFor(/filter ~c FETCH & ~lit >100K: 1 frames/, 'the literal filter');
      pane.keys('Enter');
      await pane.waitFor(/literal \{300000\}.*\[text/, 'the detail pane');
      pane.keys('x');
      const hex = await pane.waitFor(/^00000000  46 72 6f 6d 3a 20/m, 'the literal in hex (From: )');
      assert.match(hex, /\|From: tui@local/);
      assert.match(hex, /session #1  frame \d+  S: untagged FETCH/);

      // Help lists every key, and closes again.
      pane.keys('?');
      const help = await pane.waitFor(/imapdbg — help/, 'the help screen');
      for (const key of ['j / Down', 'g / Home', 'PgUp / PgDn', 'Enter', 'Tab', 'Esc / q', 'Q / Ctrl-C', 'F ', 'p ', 'x ', '/ ']) {
        assert.ok(help.includes(key), `help lists ${key}`);
      }
      for (let i = 0; i < 30; i++) pane.keys('j'); // scrolls the help on small screens
      const ops = await pane.waitFor(/~lit >1M/, 'the filter operators in the help');
      for (const op of ['~c CMD', '~tag T', '~dir c|s', '~idle', '~lint', '~status NO|BAD', '~s N']) assert.ok(ops.includes(op), `help lists ${op}`);
      pane.keys('Escape');
      await pane.waitFor((s) => !s.includes('imapdbg — help'), 'the help to close');

      // Back to the list (one key at a time: Escape then a key at once reads as Alt-key), clear the filter, search.
      pane.keys('Escape');
      await pane.waitFor((s) => !s.includes('── detail'), 'the detail to close');
      pane.keys('f');
      for (let i = 0; i < 25; i++) pane.keys('BSpace');
      pane.keys('Enter');
      await pane.waitFor(/filter cleared/, 'the filter to clear');
      pane.keys('g', '/');
      pane.type('EXISTS');
      pane.keys('Enter');
      const first = await pane.waitFor(/\/EXISTS: row \d+ of \d+/, 'the search');
      const row1 = Number(/\/EXISTS: row (\d+)/.exec(first)?.[1]);
      pane.keys('n');
      const second = await pane.waitFor((s) => { const m = /\/EXISTS: row (\d+)/.exec(s); return m !== null && Number(m[1]) !== row1; }, 'n to the next match');
      assert.ok(Number(/\/EXISTS: row (\d+)/.exec(second)?.[1]) > row1);

      // Resize while running, then quit: the shell is back, in cooked mode, the UI gone.
      pane.resize(100, 30);
      await pane.waitFor((s) => s.split('\n')[0].length > width - 1 || width >= 100, 'a redraw at the new size');
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

test('view without a terminal is one line and exit 2', T, async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [IMAPDBG, 'view', capture], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^imapdbg: view needs a terminal .*\n$/);
  assert.equal(r.stderr.split('\n').length, 2);
});
