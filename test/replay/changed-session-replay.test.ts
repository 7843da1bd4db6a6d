// Replay plays what the peers actually received: in a session imapdbg changed, `replay --serve`
// answers from the delivered server stream (a dropped EXISTS is not played, an injected BYE is),
// and the client's exchanges are what the server received (a dropped command is not one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { loadDialog } from '../../src/replay/recorded-dialog';
import { changedSessionEvents } from '../capture/changed-session';
import { tmpDir, writePcapng } from '../capture/pcapng/pcapng-support';
import { startCli } from '../fixtures-tools/run-cli';

test('the dialog of a changed session is built from the delivered streams', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'changed.pcapng');
    await writePcapng(file, changedSessionEvents().events);
    const dialog = await loadDialog(file);
    assert.deepEqual(dialog.exchanges.map((e) => `${e.tag} ${e.verb}`), ['a1 LOGIN', 'a2 SELECT', 'a4 IDLE']);
    const idle = dialog.exchanges[2].steps.filter((s) => s.from === 'server').map((s) => s.bytes.toString('latin1'));
    assert.deepEqual(idle, ['+ idling\r\n', '* BYE imapdbg says bye\r\n']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('replay --serve plays the delivered server stream: no dropped EXISTS, the injected BYE', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'changed.pcapng');
    await writePcapng(file, changedSessionEvents().events);
    const { child, match } = await startCli(['replay', file, '--serve', '127.0.0.1:0'], /on 127\.0\.0\.1:(\d+)\n/);
    try {
      const socket = net.connect(Number(match[1]), '127.0.0.1');
      let got = '';
      // A bound, not a timed assertion: a replay that never sends the line fails instead of hanging.
      const waitFor = (re: RegExp): Promise<void> => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${re} within 20 s; got: ${got}`)), 20_000);
        const check = (): void => { if (re.test(got)) { clearTimeout(timer); socket.off('data', onData); resolve(); } };
        const onData = (d: Buffer): void => { got += d.toString('latin1'); check(); };
        socket.on('data', onData);
        socket.once('close', () => (re.test(got) ? resolve() : reject(new Error(`closed before ${re}: ${got}`))));
        check();
      });
      await waitFor(/\* OK .*ready\r\n/);
      socket.write('a1 LOGIN alice secret\r\n');
      await waitFor(/a1 OK logged in\r\n/);
      socket.write('a2 SELECT INBOX\r\n');
      await waitFor(/a2 OK .*\r\n/);
      socket.write('a4 IDLE\r\n');
      await waitFor(/\* BYE imapdbg says bye\r\n/);
      socket.destroy();
      const idlePart = got.slice(got.indexOf('+ idling'));
      assert.equal(idlePart, '+ idling\r\n* BYE imapdbg says bye\r\n');
      assert.doesNotMatch(got, /\* 3 EXISTS/);
    } finally {
      child.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
