// How doctor names server behaviours a real Dovecot does not show: IDLE refused without a
// selected mailbox, and the three other reactions to a command sent during IDLE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFakeServer, type FakeBehaviour, type FakeConnection } from './fake-imap-server';
import { runDoctorCli, verdicts, type DoctorRun } from './doctor-report';

async function doctorAgainst(behaviour: FakeBehaviour): Promise<DoctorRun> {
  const server = await startFakeServer(behaviour);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-doctor-'));
  try {
    fs.writeFileSync(path.join(dir, 'pw'), 'secret\n', { mode: 0o600 });
    return await runDoctorCli([`127.0.0.1:${server.port}`, '--user', 'alice', '--password-file', path.join(dir, 'pw'), '--watch', '1s', '--json']);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Answers a command sent during IDLE with `react`. */
function duringIdle(react: (c: FakeConnection, tag: string) => void): FakeBehaviour {
  return {
    command: (c, tag, verb) => {
      if (c.idleTag === undefined || verb === 'DONE') return false;
      react(c, tag);
      return true;
    },
  };
}

test('IDLE refused without a selected mailbox: a warning, not a problem', async () => {
  const selected = new WeakSet<FakeConnection>();
  const run = await doctorAgainst({
    command: (c, tag, verb) => {
      if (verb === 'SELECT') selected.add(c);
      if (verb === 'IDLE' && !selected.has(c)) { c.send(`${tag} NO select a mailbox first\r\n`); return true; }
      return false;
    },
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(verdicts(run)['idle-authenticated'], 'warning');
  assert.match(run.items.get('idle-authenticated')?.value ?? '', /refused: "D\d+ NO select a mailbox first"/);
});

test('a command during IDLE that the server ignores', async () => {
  const run = await doctorAgainst(duringIdle(() => undefined));
  assert.equal(verdicts(run)['command-during-idle'], 'ok');
  assert.match(run.items.get('command-during-idle')?.value ?? '', /^ignored/);
});

test('a command during IDLE answered by closing the connection: a warning', async () => {
  const run = await doctorAgainst(duringIdle((c) => { c.send('* BYE protocol error\r\n'); c.socket.end(); }));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(verdicts(run)['command-during-idle'], 'warning');
  assert.match(run.items.get('command-during-idle')?.value ?? '', /with "\* BYE protocol error"/);
});

test('a command during IDLE answered with BAD while the IDLE goes on', async () => {
  const run = await doctorAgainst(duringIdle((c, tag) => c.send(`${tag} BAD expected DONE\r\n`)));
  assert.equal(verdicts(run)['command-during-idle'], 'ok');
  assert.match(run.items.get('command-during-idle')?.value ?? '', /^answers BAD, IDLE goes on/);
});
