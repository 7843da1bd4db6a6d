// Records the bundled fixtures from a real, throw-away Dovecot through the proxy:
//   npx tsc -p tsconfig.json && node dist/test/fixtures-tools/record-fixtures.js [OUTDIR]
// OUTDIR defaults to the repository's fixtures/. Users and passwords are the harness's test ones;
// messages are fixtureMessage()s (fixed dates, example.org), so nothing of this machine is kept.
// Captures with STARTTLS or COMPRESS are not recorded here yet (the replay speaks plain text).
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { ScriptedClient, runDemoScript } from '../../src/replay/scripted-client';
import type { HostPort } from '../../src/proxy/address';
import { recordThroughProxy } from './record-through-proxy';
import { fixtureMessage } from './fixture-messages';

/** Connects to `at` and resolves once the socket is up. */
export function openSocket(at: HostPort): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(at.port, at.host);
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}

/** The demo's fixture: LOGIN, SELECT, FETCH, IDLE that receives `* 3 EXISTS`, DONE, LOGOUT. */
export async function recordIdleFixture(inst: DovecotInstance, out: string): Promise<void> {
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'Welcome to imapdbg'));
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(2, 'Second message'));
  await recordThroughProxy(inst, out, async (proxy) => {
    const socket = await openSocket(proxy);
    try {
      await runDemoScript(new ScriptedClient(socket), {
        user: 'alice', password: inst.users.alice,
        // Another connection delivers a message while the demo client idles: Dovecot then sends
        // `* 3 EXISTS` to the idling client, which is what the demo shows.
        onIdle: async () => { await new Promise((r) => setTimeout(r, 300)); await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(3, 'Arrived during IDLE')); },
      });
    } finally {
      socket.end();
    }
  });
}

/** python imaplib with AUTHENTICATE PLAIN, then SELECT, SEARCH and FETCH. */
export const PYTHON_AUTH_SCRIPT = `
import imaplib, sys
m = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
print(m.authenticate('PLAIN', lambda _: ('\\0' + sys.argv[3] + '\\0' + sys.argv[4]).encode()))
print(m.select('INBOX'))
print(m.search(None, 'ALL'))
print(m.fetch('1:*', '(FLAGS RFC822.SIZE)'))
print(m.logout())
`;

async function recordAuthenticateFixture(inst: DovecotInstance, out: string): Promise<void> {
  await recordThroughProxy(inst, out, async (proxy) => {
    const r = await runPython(PYTHON_AUTH_SCRIPT, [proxy.host, String(proxy.port), 'alice', inst.users.alice]);
    if (r.code !== 0) throw new Error(`python failed: ${r.stderr}`);
  });
}

/** LOGIN with both arguments as synchronizing literals: the replay must answer each with `+`. */
async function recordLiteralLoginFixture(inst: DovecotInstance, out: string): Promise<void> {
  await recordThroughProxy(inst, out, async (proxy) => {
    const socket = await openSocket(proxy);
    const c = new ScriptedClient(socket);
    await c.next();
    c.send('a1 LOGIN {5}');
    await c.readUntil((r) => r.startsWith('+'));
    c.send(`alice {${inst.users.alice.length}}`);
    await c.readUntil((r) => r.startsWith('+'));
    c.send(inst.users.alice);
    await c.result('a1', 'LOGIN');
    await c.command('a2', 'LIST "" "*"');
    await c.command('a3', 'LOGOUT');
    socket.end();
  });
}

/** A FETCH of one big message (~700 kB: the capture stays near 1 MB). */
async function recordBigFetchFixture(inst: DovecotInstance, out: string): Promise<void> {
  await appendMessage(inst, 'bob', 'INBOX', fixtureMessage(7, 'A big message', 700 * 1024));
  await recordThroughProxy(inst, out, async (proxy) => {
    const socket = await openSocket(proxy);
    const c = new ScriptedClient(socket);
    await c.next();
    await c.command('b1', `LOGIN bob ${inst.users.bob}`);
    await c.command('b2', 'EXAMINE INBOX');
    await c.command('b3', 'FETCH 1 (RFC822.SIZE BODY.PEEK[])');
    await c.command('b4', 'LOGOUT');
    socket.end();
  });
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '../../../fixtures'));
  const inst = await startDovecot();
  try {
    await recordIdleFixture(inst, path.join(outDir, 'idle-updates.imapcap'));
    await recordAuthenticateFixture(inst, path.join(outDir, 'authenticate-plain.imapcap'));
    await recordLiteralLoginFixture(inst, path.join(outDir, 'login-literal.imapcap'));
    await recordBigFetchFixture(inst, path.join(outDir, 'big-fetch.imapcap'));
  } finally {
    await inst.stop();
  }
  process.stdout.write(`fixtures written to ${outDir}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`record-fixtures: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
