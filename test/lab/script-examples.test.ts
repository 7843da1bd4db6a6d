import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadScript } from '../../src/lab/script-loader';
import { ScriptRunner } from '../../src/lab/script-stage';
import { changed, frameCommands, runStage } from './stage-harness';

const examples = path.join(__dirname, '..', '..', '..', 'examples', 'scripts');

const DIALOG = `
  S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
  C: a1 SELECT INBOX
  S: * 3 EXISTS
  S: a1 OK [READ-WRITE] done
  C: a2 IDLE
  S: + idling
  S: * 4 EXISTS
  S: * 5 EXISTS
  C: DONE
  S: a2 OK IDLE terminated
  C: a3 IDLE
  S: + idling
  S: * 6 EXISTS
  C: DONE
  S: a3 OK IDLE terminated
`;

test('count-idle-drop-second-exists.js: drops every second EXISTS per session, counts IDLE periods across sessions', async () => {
  const file = path.join(examples, 'count-idle-drop-second-exists.js');
  const script = await loadScript(file);
  assert.deepEqual(Object.keys(script.hooks).sort(), ['onFrame', 'onIdlePhase']);
  // The module loaded for the proxy is the one require() sees: its counts are the proxy's.
  const counts = (require(file) as { counts: () => { idlePeriods: number } }).counts;
  const before = counts().idlePeriods;
  const runner = new ScriptRunner(script, { revealSecrets: false });
  const one = runStage(runner.stage(), DIALOG);
  assert.deepEqual(changed(one), ['S: * 4 EXISTS -> drop', 'S: * 6 EXISTS -> drop']);
  const injected = (run: typeof one): string[] => run.frames.flatMap((f) => (f.result.commands ?? []).map((c) => `${f.line} -> ${c.kind === 'inject' ? `${c.toward} ${c.bytes.toString('latin1')}` : c.kind}`));
  assert.deepEqual(injected(one), [
    `S: a2 OK IDLE terminated -> client * OK imapdbg script: ${before + 1} IDLE periods so far\r\n`,
    `S: a3 OK IDLE terminated -> client * OK imapdbg script: ${before + 2} IDLE periods so far\r\n`,
  ]);
  const two = runStage(runner.stage(), DIALOG, 2);
  assert.deepEqual(changed(two), changed(one), 'per session: the second session starts counting afresh');
  assert.match(injected(two)[1], new RegExp(`: ${before + 4} IDLE periods so far`), 'the IDLE count goes on across sessions');
  assert.equal(counts().idlePeriods - before, 4);
});

test('throws.js: every frame forwarded unchanged, the first errors reported with the script line, the rest counted', async () => {
  const script = await loadScript(path.join(examples, 'throws.js'));
  let nowMs = 0;
  const runner = new ScriptRunner(script, { revealSecrets: false, now: () => nowMs });
  const run = runStage(runner.stage(), DIALOG);
  assert.equal(run.frames.length, 15);
  assert.deepEqual(changed(run), []);
  const reports = frameCommands(run).flatMap((c) => (c.kind === 'report' ? [c.detail] : []));
  assert.equal(reports.length, 5);
  assert.equal(reports[0], 'onFrame threw Error: this script always throws (frame 1) (throws.js:11); frame forwarded unchanged');
  nowMs = 10_000;
  const later = frameCommands(runStage(runner.stage(), '  S: * OK hi\n', 2)).flatMap((c) => (c.kind === 'report' ? [c.detail] : []));
  assert.deepEqual(later, ['onFrame threw Error: this script always throws (frame 1) (throws.js:11); frame forwarded unchanged (10 more hook errors not reported)']);
});
