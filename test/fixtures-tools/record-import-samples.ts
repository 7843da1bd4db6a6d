// Records the import samples under fixtures/import/ from a real, throw-away Dovecot:
//   node dist/test/fixtures-tools/record-import-samples.js [OUTDIR]
// - dovecot-rawlog.in/.out: Dovecot's own rawlog (rawlog_dir, timestamps on), post-login only;
// - dovecot-rawlog-plain.in/.out: the same without timestamps (prefixes removed), as `rawlog` writes without -t;
// - socat-v.log: `socat -v` between the scripted client and Dovecot (a whole session, LOGIN included).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { ScriptedClient } from '../../src/replay/scripted-client';
import { fixtureMessage } from './fixture-messages';
import { openSocket } from './record-fixtures';

/** A short dialog with a literal in both directions and an IDLE. */
async function dialog(inst: DovecotInstance, port: number): Promise<void> {
  const socket = await openSocket({ host: '127.0.0.1', port });
  const c = new ScriptedClient(socket);
  await c.next();
  await c.command('s1', `LOGIN alice ${inst.users.alice}`);
  await c.command('s2', 'SELECT INBOX');
  await c.command('s3', 'FETCH 1 (FLAGS BODY.PEEK[HEADER])');
  const appended = 'Subject: appended\r\n\r\nhi';
  c.send(`s4 APPEND INBOX {${appended.length}}`);
  await c.readUntil((r) => r.startsWith('+'));
  c.send(appended);
  await c.result('s4', 'APPEND');
  c.send('s5 IDLE');
  await c.readUntil((r) => r.startsWith('+'));
  await new Promise((r) => setTimeout(r, 200));
  c.send('DONE');
  await c.result('s5', 'IDLE');
  await c.command('s6', 'LOGOUT');
  socket.end();
  await new Promise((r) => setTimeout(r, 200));
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(__dirname, '../../../fixtures/import'));
  fs.mkdirSync(outDir, { recursive: true });
  const inst = await startDovecot();
  try {
    await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'imported'));
    // Dovecot writes a rawlog pair per post-login connection into an existing rawlog_dir.
    const rawDir = path.join(inst.dir, 'rawlog');
    fs.mkdirSync(rawDir, { mode: 0o777 });
    fs.chmodSync(rawDir, 0o777);
    fs.appendFileSync(path.join(inst.dir, 'dovecot.conf'), `protocol imap {\n  rawlog_dir = ${rawDir}\n}\n`);
    execFileSync('doveadm', ['-c', path.join(inst.dir, 'dovecot.conf'), 'reload']);
    await new Promise((r) => setTimeout(r, 1000));
    await dialog(inst, inst.port);
    const pairs = fs.readdirSync(rawDir).filter((f) => f.endsWith('.in'));
    if (pairs.length !== 1) throw new Error(`expected one rawlog pair, found ${pairs.join(', ') || 'none'}`);
    const prefix = path.join(rawDir, pairs[0].slice(0, -3));
    for (const ext of ['in', 'out']) {
      const text = fs.readFileSync(`${prefix}.${ext}`);
      fs.writeFileSync(path.join(outDir, `dovecot-rawlog.${ext}`), text);
      fs.writeFileSync(path.join(outDir, `dovecot-rawlog-plain.${ext}`), text.toString('latin1').replace(/^[0-9]+\.[0-9]{6} /gm, ''), 'latin1');
    }
    // socat -v between the client and Dovecot; its log goes to standard error.
    const log = fs.openSync(path.join(outDir, 'socat-v.log'), 'w');
    const listenPort = 20000 + (process.pid % 20000);
    const socat = spawn('socat', ['-v', `TCP-LISTEN:${listenPort},bind=127.0.0.1,reuseaddr`, `TCP:127.0.0.1:${inst.port}`], { stdio: ['ignore', 'ignore', log] });
    await new Promise((r) => setTimeout(r, 300));
    await dialog(inst, listenPort);
    socat.kill();
    fs.closeSync(log);
  } finally {
    await inst.stop();
  }
  process.stdout.write(`import samples written to ${outDir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`record-import-samples: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
