// Issue 13, IDLE findings live: through the real proxy (its timer) to Dovecot, and the CLI's threshold options.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg, type ImapdbgProcess } from '../harness/imapdbg-process';
import { readUntil } from '../harness/lines';
import { command, rawConnect, startChain } from './phases-clients';

let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-idle-live-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Resolves once the proxy's headless output matches (an event to wait for, not a time to assert); rejects after 20 s. */
async function outputMatches(proxy: ImapdbgProcess, re: RegExp): Promise<string> {
  for (let waited = 0; waited < 20_000; waited += 50) {
    const m = re.exec(proxy.stdout());
    if (m) return m[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${re} in:\n${proxy.stdout()}`);
}

async function idleOnInbox(port: number): Promise<Socket> {
  const sock = await rawConnect(port);
  await readUntil(sock, (l) => l.startsWith('* OK'));
  await command(sock, 'a1', `LOGIN alice ${dovecot.users.alice}`);
  await command(sock, 'a2', 'SELECT INBOX');
  sock.write('a3 IDLE\r\n');
  await readUntil(sock, (l) => l.startsWith('+'));
  return sock;
}

test('a silent IDLE is flagged while still silent (the proxy\'s timer), then DONE ends it; lint finds it again', async () => {
  const capture = path.join(dir, 'silent.imapcap');
  const chain = await startChain(dovecot, capture, ['--idle-silent', '300ms']);
  let sock: Socket | undefined;
  try {
    sock = await idleOnInbox(chain.tapC.port);
    // Nothing is sent either way: only the timer can see the silence.
    const line = await outputMatches(chain.proxy, /#1 !! warning idle-silent: IDLE a3: no byte in either direction for more than 300\.0 ms.*/);
    assert.match(line, /no keepalive: a NAT or firewall may drop the connection/);
    sock.write('DONE\r\n');
    await readUntil(sock, (l) => l.startsWith('a3 '));
    await command(sock, 'a4', 'LOGOUT');
  } finally {
    sock?.destroy();
    await chain.close();
  }
  const lint = await runImapdbg(['lint', capture, '--idle-silent', '300ms']);
  assert.match(lint.stdout.toString(), /#1 warning idle-silent \(RFC 2177 3\): IDLE a3/);
  const relaxed = await runImapdbg(['lint', capture]);
  assert.doesNotMatch(relaxed.stdout.toString(), /idle-silent/);
});

test('the client drops the connection during IDLE: idle-connection-lost names the client\'s side', async () => {
  const capture = path.join(dir, 'lost.imapcap');
  const chain = await startChain(dovecot, capture);
  try {
    const sock = await idleOnInbox(chain.tapC.port);
    sock.resetAndDestroy();
    await outputMatches(chain.proxy, /#1 !! warning idle-connection-lost: the connection ended during IDLE a3 \(.*\) without a BYE: the client/);
  } finally {
    await chain.close();
  }
  const lint = await runImapdbg(['lint', capture]);
  assert.match(lint.stdout.toString(), /#1 warning idle-connection-lost \(RFC 3501 7\.1\.5\): the connection ended during IDLE a3/);
});

test('threshold options: a bad duration is one line on stderr and exit 2, for lint, stats and proxy', async () => {
  const capture = path.join(dir, 'none.imapcap');
  for (const args of [['lint', capture, '--idle-silent', '10x'], ['stats', capture, '--push-timeout', '0'], ['proxy', '--upstream', '127.0.0.1:1', '--done-timeout', '-1s'],
    ['lint', capture, '--push-gap', ''], ['lint', capture, '--idle-churn', '1e3']]) {
    const r = await runImapdbg(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^imapdbg: --[a-z-]+ must be a duration such as 500ms, 30s or 10m \(got ".*"\)\n$/, args.join(' '));
  }
});
