// Records fixtures/doctor-broken-push.imapcap: one session through the real proxy into the
// harness's Dovecot that holds every command `imapdbg doctor --append --tries 1` sends on any of
// its connections, in doctor's own words (src/doctor/commands.ts), with IDLEs during which nothing
// changed. Served by `imapdbg replay --serve --match ignore-literals`, it is a server that accepts
// IDLE and APPEND but never pushes EXISTS to an idling client: a "broken push" server.
//   npx tsc -p tsconfig.json && node dist/test/doctor/record-broken-push.js fixtures/doctor-broken-push.imapcap
// (OUT is required, so a test runner given the whole directory never re-records by accident.)
import { startDovecot } from '../harness/dovecot';
import { recordThroughProxy } from '../fixtures-tools/record-through-proxy';
import { ImapClient, type CommandResult } from '../../src/doctor/imap-client';
import * as cmd from '../../src/doctor/commands';
import { appendUids } from '../../src/doctor/response-facts';
import { fixtureMessage } from '../fixtures-tools/fixture-messages';

/** IDLEs one connection of doctor may send: selected check, push latency, keepalive watch, and spare. */
const IDLES = 4;

function must(r: CommandResult, what: string): CommandResult {
  if (r.status !== 'OK') throw new Error(`${what}: ${r.status} ${r.text}`);
  return r;
}

export async function recordBrokenPush(out: string): Promise<void> {
  const inst = await startDovecot();
  try {
    await recordThroughProxy(inst, out, async (proxy) => {
      const c = await ImapClient.open({ host: proxy.host, port: proxy.port, security: 'plain', insecure: false, timeoutMs: 10_000 });
      must(await c.command(cmd.CAPABILITY), 'CAPABILITY');
      must(await c.command(cmd.login('alice', inst.users.alice)), 'LOGIN');
      must(await c.command(cmd.CAPABILITY), 'CAPABILITY');
      must(await c.command(cmd.select('INBOX')), 'SELECT');
      for (let i = 0; i < IDLES; i++) {
        const tag = c.nextTag();
        const plus = c.wait((r) => r.kind === 'continuation', 10_000);
        c.sendLine(`${tag} ${cmd.IDLE}`);
        if (!('response' in await plus)) throw new Error('no + to IDLE');
        await new Promise((r) => setTimeout(r, 200));
        const ok = c.wait((r) => r.kind === 'tagged' && r.tag === tag, 10_000);
        c.sendLine(cmd.DONE);
        if (!('response' in await ok)) throw new Error('no OK to DONE');
      }
      const message = Buffer.from(fixtureMessage(1, 'imapdbg doctor push test'));
      const appended = must(await c.command(cmd.append('INBOX', message.length), message), 'APPEND');
      const uids = appendUids(appended.text);
      if (!uids) throw new Error(`no APPENDUID in ${appended.text}`);
      must(await c.command(cmd.uidStoreDeleted(uids)), 'UID STORE');
      must(await c.command(cmd.uidExpunge(uids)), 'UID EXPUNGE');
      must(await c.command(cmd.LIST_ALL), 'LIST');
      await c.logout();
    });
  } finally {
    await inst.stop();
  }
}

const out = process.argv[2];
if (require.main === module && out !== undefined && out.endsWith('.imapcap')) {
  recordBrokenPush(out).then(() => process.stdout.write(`recorded ${out}\n`), (err: Error) => {
    process.stderr.write(`record-broken-push: ${err.message}\n`);
    process.exit(1);
  });
}
