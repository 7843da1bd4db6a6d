// `imapdbg proxy` with its terminal UI (the default on a TTY) in tmux, in front of Dovecot: a
// client goes into IDLE, another connection appends, and the `* N EXISTS` shows on screen while
// the IDLE band is open; Q stops the proxy and gives the terminal back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startDovecot, appendMessage, makeMessage, type DovecotInstance } from '../harness/dovecot';
import { freePort } from '../harness/free-port';
import { readUntil, tagged } from '../harness/lines';
import { IMAPDBG, TmuxPane } from '../tui/tmux-pane';

let dc: DovecotInstance;
const T = { timeout: 120_000 };

before(async () => {
  dc = await startDovecot();
});
after(async () => {
  await dc?.stop();
});


test('live: an EXISTS during IDLE shows up in the TUI', T, async () => {
  const port = await freePort();
  const pane = TmuxPane.start(80, 24);
  let sock: net.Socket | undefined;
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`node ${IMAPDBG} proxy --listen 127.0.0.1:${port} --upstream ${dc.host}:${dc.port}`);
    await pane.waitFor(new RegExp(`listening 127\\.0\\.0\\.1:${port} → `), 'the proxy TUI');
    await pane.waitFor(/waiting for a client to connect/, 'the empty sessions list');

    sock = net.connect(port, '127.0.0.1');
    await readUntil(sock, (l) => l.startsWith('* OK'));
    sock.write(`a1 LOGIN alice ${dc.users.alice}\r\n`);
    await readUntil(sock, tagged('a1'));
    sock.write('a2 SELECT INBOX\r\n');
    const sel = await readUntil(sock, tagged('a2'));
    const before = Number(sel.find((l) => /^\* \d+ EXISTS$/.test(l))?.split(' ')[1]);
    sock.write('a3 IDLE\r\n');
    await readUntil(sock, (l) => l.startsWith('+'));

    // The session appears live, IDLE now.
    const list = await pane.waitFor(/^\s+1 127\.0\.0\.1:\d+ .*alice\s+INBOX\s+[\d.]+s/m, 'the session, in IDLE');
    assert.match(list, /1 sessions \(1 open\)/);
    pane.keys('Enter');
    await pane.waitFor(/^┌ .* C: a3 IDLE .*IDLE [\d.]+s…/m, 'the open IDLE band');

    await appendMessage(dc, 'alice', 'INBOX', makeMessage(1000, `tui live ${Date.now()}`));
    const exists = `* ${before + 1} EXISTS`;
    await readUntil(sock, (l) => l === exists);
    const shown = await pane.waitFor((s) => s.includes(`S: ${exists}`), `${exists} on screen`);
    assert.match(shown, new RegExp(`^│ .* S: \\* ${before + 1} EXISTS`, 'm'), 'inside the IDLE band');

    sock.write('DONE\r\n');
    await readUntil(sock, tagged('a3'));
    await pane.waitFor(/^└ .* S: a3 OK/m, 'the end of the IDLE band');

    pane.keys('Q');
    const after = await pane.waitFor(/imapdbg: stopped/, 'the proxy to stop after Q');
    assert.doesNotMatch(after, /imapdbg — session/);
  } finally {
    sock?.destroy();
    pane.kill();
  }
});
