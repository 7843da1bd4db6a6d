// The IDLE timeline live in `imapdbg proxy` (its TUI on a TTY) in tmux, in front of Dovecot: a client
// goes into IDLE, the timeline shows the open bar; another connection appends, and the `* N EXISTS`
// Dovecot pushes appears as a mark on the bar; Enter on it opens the frame. Waits are bounded polls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startDovecot, appendMessage, makeMessage, type DovecotInstance } from '../harness/dovecot';
import { freePort } from '../harness/free-port';
import { readUntil, tagged } from '../harness/lines';
import { highlightedRows, IMAPDBG, TmuxPane } from '../tui/tmux-pane';

let dc: DovecotInstance;
const T = { timeout: 120_000 };

before(async () => {
  dc = await startDovecot();
});
after(async () => {
  await dc?.stop();
});


/** The plot of session #1's row: what follows the label column. */
function plotOf(screen: string): string {
  const row = screen.split('\n').find((r) => r.startsWith('#1 alice INBOX')) ?? '';
  return row.slice(row.indexOf('│') + 1);
}

test('live: an EXISTS Dovecot pushes during IDLE appears on the timeline', T, async () => {
  const port = await freePort();
  const pane = TmuxPane.start(80, 24);
  let sock: net.Socket | undefined;
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`node ${IMAPDBG} proxy --listen 127.0.0.1:${port} --upstream ${dc.host}:${dc.port}`);
    await pane.waitFor(/waiting for a client to connect/, 'the proxy TUI');
    pane.keys('t');
    await pane.waitFor(/imapdbg — IDLE timeline[\s\S]*waiting for a client to connect/, 'the empty timeline');

    sock = net.connect(port, '127.0.0.1');
    await readUntil(sock, (l) => l.startsWith('* OK'));
    sock.write(`a1 LOGIN alice ${dc.users.alice}\r\n`);
    await readUntil(sock, tagged('a1'));
    sock.write('a2 SELECT INBOX\r\n');
    const sel = await readUntil(sock, tagged('a2'));
    const count = Number(sel.find((l) => /^\* \d+ EXISTS$/.test(l))?.split(' ')[1]);
    sock.write('a3 IDLE\r\n');
    await readUntil(sock, (l) => l.startsWith('+'));

    // The open IDLE is a bar, and no update mark yet.
    const idling = await pane.waitFor((s) => plotOf(s).includes('█'), 'the open IDLE bar');
    assert.doesNotMatch(plotOf(idling), /◆/);
    assert.match(idling, /1 sessions \(1 open\)/);

    await appendMessage(dc, 'alice', 'INBOX', makeMessage(1000, `timeline live ${Date.now()}`));
    const exists = `* ${count + 1} EXISTS`;
    await readUntil(sock, (l) => l === exists);
    const pushed = await pane.waitFor((s) => plotOf(s).includes('◆'), 'the EXISTS mark on the bar');
    assert.match(plotOf(pushed), /█[█◆]*◆/, 'the mark sits on the IDLE bar');

    // The cursor goes to the update mark; Enter opens its frame.
    let screen = pushed;
    for (let i = 0; i < 8 && !/ update .*S: /.test(screen); i++) {
      const mark = /mark (\d+)\//.exec(screen)?.[1];
      pane.keys('Right');
      screen = await pane.waitFor((s) => /mark (\d+)\//.exec(s)?.[1] !== mark || /no later mark/.test(s), 'the next mark');
    }
    assert.ok(screen.includes(`S: ${exists}`), `the mark line names the EXISTS:\n${screen}`);
    pane.keys('Enter');
    await pane.waitFor(/Esc back to the timeline/, 'the jump to the frame');
    const selected = highlightedRows(pane.styledScreen()).filter((r) => / [CS]: /.test(r));
    assert.equal(selected.length, 1);
    assert.ok(selected[0].includes(`S: ${exists}`), selected[0]);
    pane.keys('Escape');
    await pane.waitFor(/imapdbg — IDLE timeline/, 'back on the timeline');

    sock.write('DONE\r\n');
    await readUntil(sock, tagged('a3'));
    pane.keys('Q');
    await pane.waitFor(/imapdbg: stopped/, 'the proxy to stop after Q');
  } finally {
    sock?.destroy();
    pane.kill();
  }
});
