// A server that never pushes: `imapdbg replay --serve` of fixtures/doctor-broken-push.imapcap
// (Dovecot recorded through the proxy, IDLEs during which nothing changed) accepts doctor's
// IDLE and APPEND but never sends EXISTS to the idling connection. Doctor must call it a problem.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startCli } from '../fixtures-tools/run-cli';
import { assertNoStack, runDoctorCli, verdicts } from './doctor-report';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/doctor-broken-push.imapcap');
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) c.kill();
});

test('push latency is a problem when no EXISTS comes during IDLE', async () => {
  const { child, match } = await startCli(['replay', FIXTURE, '--serve', '127.0.0.1:0', '--match', 'ignore-literals'], /on 127\.0\.0\.1:(\d+)\n/);
  children.push(child);
  const run = await runDoctorCli([`127.0.0.1:${match[1]}`, '--user', 'alice', '--password', 'secret',
    '--append', '--tries', '1', '--push-timeout', '2s', '--watch', '1s', '--json']);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assertNoStack(run);
  const v = verdicts(run);
  assert.equal(v['push-latency'], 'problem');
  assert.match(run.items.get('push-latency')?.value ?? '', /no EXISTS within 2\.0 s/);
  // Everything else the recording answers is fine: the diagnosis is push, not the session.
  for (const id of ['login', 'idle-after-login', 'idle-selected', 'done-response', 'idle-authenticated']) assert.equal(v[id], 'ok', id);
});
