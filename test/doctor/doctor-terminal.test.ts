// `imapdbg doctor` on a real terminal (tmux): the password prompt does not echo, progress shows
// what doctor is doing and, during --watch, the time left; the finished report stands alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { IMAPDBG, TmuxPane, shellQuote } from '../tui/tmux-pane';

let inst: DovecotInstance;
let pane: TmuxPane | undefined;

before(async () => {
  inst = await startDovecot({ imapSettings: ['imap_idle_notify_interval = 2 secs'] });
});

after(async () => {
  pane?.kill();
  await inst.stop();
});

test('prompt without echo, progress with the time left, then only the report', async () => {
  pane = TmuxPane.start(150, 40);
  pane.run(`node ${shellQuote(IMAPDBG)} doctor ${inst.host}:${inst.port} --user alice --watch 8s; echo "exit=$?"`);
  await pane.waitFor(/password for alice:/, 'the password prompt');
  pane.type(inst.users.alice);
  pane.keys('Enter');
  const watching = await pane.waitFor(/imapdbg doctor: watching a silent IDLE: .* left/, 'progress with the time left');
  assert.doesNotMatch(watching, /secret/, 'the typed password is not echoed');
  const done = await pane.waitFor(/^exit=\d+$/m, 'the end', 60_000);
  assert.match(done, /^exit=0$/m);
  assert.match(done, /^0 problems, 0 warnings$/m);
  assert.doesNotMatch(done, /imapdbg doctor: /, 'the progress line was cleared');
  assert.doesNotMatch(done, /secret/);
});
