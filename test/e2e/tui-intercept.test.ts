// Intercept in the live TUI (issue 11): `imapdbg proxy` in tmux in front of Dovecot, python's
// imaplib fetching a message through it. `i` sets an intercept filter, the server's FETCH response
// is held (marked HELD, counted in the status bar), `e` edits it in $EDITOR (here a script that
// rewrites the file, no interactive editor), and the client prints the edited text, its literal
// count fixed up so imaplib frames it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, appendMessage, makeMessage, type DovecotInstance } from '../harness/dovecot';
import { freePort } from '../harness/free-port';
import { runPython, type PythonResult } from '../harness/python';
import { IMAPDBG, TmuxPane } from '../tui/tmux-pane';

let dc: DovecotInstance;
const T = { timeout: 120_000 };

before(async () => {
  dc = await startDovecot();
});
after(async () => {
  await dc?.stop();
});

const FETCH_BODY = `
import imaplib, sys
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.login(user, password)
m.select('INBOX')
typ, data = m.fetch('1', '(UID BODY.PEEK[])')
assert typ == 'OK', typ
body = data[0][1]
sys.stdout.write('FETCHED %d BYTES\\n' % len(body))
sys.stdout.write(body.decode('latin-1'))
sys.stdout.write('\\nEND OF BODY\\n')
if len(sys.argv) > 5:
    sys.exit(0)  # the proxy is stopping: nothing more to ask
typ, _ = m.noop()
sys.stdout.write('NOOP %s\\n' % typ)
m.logout()
`;

test('live: hold the server\'s FETCH response, edit it in $EDITOR, forward: the client prints the edited text', T, async () => {
  const original = 'The original line that imapdbg holds.';
  const edited = 'A longer line that the user wrote in the editor, while the client waited.';
  const message = Buffer.concat([makeMessage(400, 'intercept e2e').subarray(0, 300), Buffer.from(`\r\n${original}\r\n`)]);
  await appendMessage(dc, 'alice', 'INBOX', message);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-intercept-e2e-'));
  // The "editor": rewrites the frame's file in place, as a user would in vi, and records what it saw.
  const editor = path.join(dir, 'editor.sh');
  fs.writeFileSync(editor, `#!/bin/sh\nmode=$(stat -c %a "$1")\necho "mode $mode" > ${dir}/seen\ncp "$1" ${dir}/frame-file\n`
    + `sed -i 's/${original}/${edited}/' "$1"\n`, { mode: 0o700 });

  const port = await freePort();
  const pane = TmuxPane.start(110, 30);
  let client: Promise<PythonResult> | undefined;
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`EDITOR=${editor} node ${IMAPDBG} proxy --listen 127.0.0.1:${port} --upstream ${dc.host}:${dc.port}`);
    await pane.waitFor(/waiting for a client to connect/, 'the proxy TUI');

    pane.keys('i');
    await pane.waitFor(/^intercept:/m, 'the intercept prompt');
    pane.type('~dir s & ~lit >0');
    pane.keys('Enter');
    await pane.waitFor(/HELD 0 \(intercept ~dir s & ~lit >0\)/, 'the intercept filter in the status bar');

    client = runPython(FETCH_BODY, ['127.0.0.1', String(port), 'alice', dc.users.alice], { timeoutMs: 60_000 });
    await pane.waitFor(/HELD 1 \(intercept/, 'the FETCH response held');
    pane.keys('H');
    const held = await pane.waitFor(/S: \* 1 FETCH .* HELD \{\d+\}/, 'the held frame, marked HELD, under the cursor');
    assert.match(held, /held frame 1 of 1: r forward, d drop, e edit/);

    pane.keys('e');
    const sent = await pane.waitFor(/sent as edited \(\d+ bytes\)/, 'the edit sent');
    assert.match(sent, /HELD 0 \(intercept/);

    const result = await client;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes(edited), result.stdout);
    assert.ok(!result.stdout.includes(original), result.stdout);
    const size = Number(/FETCHED (\d+) BYTES/.exec(result.stdout)?.[1]);
    assert.equal(size, message.length + edited.length - original.length, 'the literal count was fixed up');
    assert.match(result.stdout, /NOOP OK/);
    // What the editor was given: a private file with the body between the marker lines.
    assert.equal(fs.readFileSync(path.join(dir, 'seen'), 'utf8').trim(), 'mode 600');
    const file = fs.readFileSync(path.join(dir, 'frame-file'), 'latin1');
    assert.match(file, /^# imapdbg intercept: session #1, frame \d+, S: from the server, to the client/);
    assert.match(file, /\r\n#imapdbg literal-begin \w+\r\n/);
    assert.ok(file.includes(original));

    pane.keys('Q');
    await pane.waitFor(/imapdbg: stopped/, 'the proxy to stop after Q');
  } finally {
    pane.kill();
    await client?.catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('live: quitting the TUI forwards what is still held', T, async () => {
  const port = await freePort();
  const pane = TmuxPane.start(110, 30);
  let client: Promise<PythonResult> | undefined;
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`node ${IMAPDBG} proxy --listen 127.0.0.1:${port} --upstream ${dc.host}:${dc.port}`);
    await pane.waitFor(/waiting for a client to connect/, 'the proxy TUI');
    pane.keys('i');
    pane.type('~dir s & ~lit >0');
    pane.keys('Enter');
    await pane.waitFor(/HELD 0 \(intercept/, 'the intercept filter in the status bar');
    client = runPython(FETCH_BODY, ['127.0.0.1', String(port), 'alice', dc.users.alice, 'then-quit'], { timeoutMs: 60_000 });
    await pane.waitFor(/HELD 1 \(intercept/, 'the FETCH response held');
    pane.keys('Q');
    const result = await client;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /FETCHED \d+ BYTES/);
    await pane.waitFor(/imapdbg: stopped/, 'the proxy to stop after Q');
  } finally {
    pane.kill();
    await client?.catch(() => undefined);
  }
});
