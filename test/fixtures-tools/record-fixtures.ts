// Records the bundled fixtures from a real, throw-away Dovecot through the proxy:
//   npx tsc -p tsconfig.json && node dist/test/fixtures-tools/record-fixtures.js [OUTDIR [NAME...]]
// OUTDIR defaults to the repository's fixtures/; NAMEs (file names without .pcapng, e.g.
// `starttls compress`) record only those fixtures and leave the others alone. Users and passwords
// are the harness's test ones; messages are fixtureMessage()s (fixed dates, example.org), so
// nothing of this machine is kept.
import * as fs from 'node:fs';
import { connect, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runPython } from '../harness/python';
import { ScriptedClient, runDemoScript } from '../../src/replay/scripted-client';
import type { HostPort } from '../../src/proxy/address';
import { recordThroughProxy } from './record-through-proxy';
import { fixtureMessage } from './fixture-messages';
import { PY_COMPRESS_FIXTURE, PY_STARTTLS_FIXTURE } from './layer-fixture-clients';
import { CA_CERT_FILE, loadOrCreateCa } from '../../src/proxy/tls/ca-store';

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

/**
 * STARTTLS intercepted by the proxy: python imaplib's starttls() trusting a throw-away imapdbg CA,
 * the server leg verified against the harness's certificate; then LOGIN, SELECT, FETCH, LOGOUT.
 */
async function recordStartTlsFixture(inst: DovecotInstance, out: string): Promise<void> {
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'Over STARTTLS'));
  const caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-fixture-ca-'));
  try {
    // Made up front: python needs the CA file before its STARTTLS.
    await loadOrCreateCa(caDir);
    await recordThroughProxy(inst, out, async (proxy) => {
      const r = await runPython(PY_STARTTLS_FIXTURE, [proxy.host, String(proxy.port), 'alice', inst.users.alice, path.join(caDir, CA_CERT_FILE)]);
      if (r.code !== 0 || !/^FETCHED \d+$/m.test(r.stdout)) throw new Error(`python failed: ${r.stdout}${r.stderr}`);
    }, { tls: { caDir, upstreamCa: inst.certPath } });
  } finally {
    fs.rmSync(caDir, { recursive: true, force: true });
  }
}

/**
 * COMPRESS=DEFLATE after LOGIN, then SELECT, FETCH, and IDLE receiving `* 3 EXISTS` (appended by
 * a second, direct connection), DONE, LOGOUT: python imaplib with zlib.
 */
async function recordCompressFixture(inst: DovecotInstance, out: string): Promise<void> {
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'Compressed hello'));
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(2, 'Compressed second'));
  const arriving = fixtureMessage(3, 'Arrived during compressed IDLE').toString('base64');
  await recordThroughProxy(inst, out, async (proxy) => {
    const r = await runPython(PY_COMPRESS_FIXTURE, [proxy.host, String(proxy.port), 'alice', inst.users.alice, String(inst.port), arriving]);
    if (r.code !== 0 || !/^UPDATE \* 3 EXISTS$/m.test(r.stdout)) throw new Error(`python failed: ${r.stdout}${r.stderr}`);
  });
}

interface FixtureRecipe {
  name: string;
  record: (inst: DovecotInstance, out: string) => Promise<void>;
  /** Records into a fresh Dovecot of its own; the others share one, in this order (their mailboxes build on each other). */
  ownServer?: boolean;
}

/** Every fixture, by file name without `.pcapng`. */
export const FIXTURES: FixtureRecipe[] = [
  { name: 'idle-updates', record: recordIdleFixture },
  { name: 'authenticate-plain', record: recordAuthenticateFixture },
  { name: 'login-literal', record: recordLiteralLoginFixture },
  { name: 'big-fetch', record: recordBigFetchFixture },
  { name: 'starttls', record: recordStartTlsFixture, ownServer: true },
  { name: 'compress', record: recordCompressFixture, ownServer: true },
];

async function withDovecot(run: (inst: DovecotInstance) => Promise<void>): Promise<void> {
  const inst = await startDovecot();
  try {
    await run(inst);
  } finally {
    await inst.stop();
  }
}

async function main(): Promise<void> {
  const [dirArg, ...names] = process.argv.slice(2);
  const outDir = path.resolve(dirArg ?? path.join(__dirname, '../../../fixtures'));
  const unknown = names.filter((n) => !FIXTURES.some((f) => f.name === n));
  if (unknown.length > 0) throw new Error(`no fixture named ${unknown.join(', ')}; known: ${FIXTURES.map((f) => f.name).join(' ')}`);
  const chosen = FIXTURES.filter((f) => names.length === 0 || names.includes(f.name));
  const out = (f: FixtureRecipe): string => path.join(outDir, `${f.name}.pcapng`);
  const shared = chosen.filter((f) => !f.ownServer);
  if (shared.length > 0) {
    await withDovecot(async (inst) => {
      for (const f of shared) await f.record(inst, out(f));
    });
  }
  for (const f of chosen.filter((c) => c.ownServer)) await withDovecot((inst) => f.record(inst, out(f)));
  process.stdout.write(`written to ${outDir}: ${chosen.map((f) => `${f.name}.pcapng`).join(' ')}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`record-fixtures: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
