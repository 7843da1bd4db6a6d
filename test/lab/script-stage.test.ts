import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionCommand } from '../../src/lab/frame-stage';
import type { HookFunction, LoadedScript } from '../../src/lab/script-loader';
import { ScriptRunner } from '../../src/lab/script-stage';
import { changed, frameCommands, runStage } from './stage-harness';

const IDLE_DIALOG = `
  S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
  C: a1 LOGIN alice s3cret
  S: a1 OK logged in
  C: a2 SELECT INBOX
  S: * 3 EXISTS
  S: a2 OK [READ-WRITE] done
  C: a3 IDLE
  S: + idling
  S: * 4 EXISTS
  S: * 5 EXISTS
  C: DONE
  S: a3 OK IDLE terminated
  C: a4 IDLE
  S: + idling
  S: * 6 EXISTS
  C: DONE
  S: a4 OK IDLE terminated
`;

function script(hooks: Partial<Record<string, (...args: never[]) => unknown>>): LoadedScript {
  return { path: '/scripts/test-hooks.js', label: 'test-hooks.js', hooks: hooks as Partial<Record<'onFrame', HookFunction>> };
}

function runner(hooks: Partial<Record<string, (...args: never[]) => unknown>>, options: Partial<ConstructorParameters<typeof ScriptRunner>[1]> = {}): ScriptRunner {
  return new ScriptRunner(script(hooks), { revealSecrets: false, ...options });
}

function reports(commands: SessionCommand[]): string[] {
  return commands.flatMap((c) => (c.kind === 'report' ? [`${c.frameSeq ?? '-'} ${c.detail}`] : []));
}

test('no action: every frame forwarded, no command', () => {
  const run = runStage(runner({ onFrame: () => undefined }).stage(), IDLE_DIALOG);
  assert.equal(run.frames.length, 17);
  assert.deepEqual(changed(run), []);
  assert.deepEqual(frameCommands(run), []);
});

test('onFrame sees plain frozen views of every frame, secrets masked, bytes as a copy', () => {
  const seen: string[] = [];
  let loginBytes = '';
  let mutated = '';
  const run = runStage(runner({
    onFrame: ((frame: { seq: number; direction: string; kind: string; tag?: string; verb?: string; text: string; bytes: Buffer; inIdle: boolean; lines: string[] }) => {
      seen.push(`${frame.seq} ${frame.direction} ${frame.kind} ${frame.tag ?? ''} ${frame.verb ?? ''} ${frame.inIdle ? 'idle' : '-'} ${frame.text}`);
      if (frame.verb === 'LOGIN') {
        loginBytes = frame.bytes.toString('latin1');
        frame.bytes.fill(0x41);
        try {
          (frame as { text: string }).text = 'changed';
        } catch (err) {
          mutated = (err as Error).name;
        }
      }
    }) as never,
  }).stage(), IDLE_DIALOG);
  assert.equal(seen[1], '2 client command a1 LOGIN - a1 LOGIN alice ********');
  assert.equal(loginBytes, 'a1 LOGIN alice ********\r\n');
  assert.equal(mutated, 'TypeError', 'the view is frozen');
  assert.equal(seen[6], '7 client command a3 IDLE idle a3 IDLE');
  assert.equal(seen[8], '9 server untagged  EXISTS idle * 4 EXISTS');
  assert.equal(seen[4], '5 server untagged  EXISTS - * 3 EXISTS');
  assert.deepEqual(changed(run), []);
});

test('--reveal-secrets shows the password to the script', () => {
  let login = '';
  runStage(runner({ onFrame: ((f: { verb?: string; text: string; bytes: Buffer }) => { if (f.verb === 'LOGIN') login = `${f.text}|${f.bytes.toString('latin1')}`; }) as never }, { revealSecrets: true }).stage(), IDLE_DIALOG);
  assert.equal(login, 'a1 LOGIN alice s3cret|a1 LOGIN alice s3cret\r\n');
});

test('onIdlePhase: each phase once, before onFrame of its frame', () => {
  const calls: string[] = [];
  runStage(runner({
    onIdlePhase: ((p: { name: string; tag: string; frame: { seq: number } }) => { calls.push(`${p.name} ${p.tag} #${p.frame.seq}`); }) as never,
    onFrame: ((f: { seq: number; inIdle: boolean }) => { if (f.inIdle) calls.push(`frame #${f.seq}`); }) as never,
  }).stage(), IDLE_DIALOG);
  assert.deepEqual(calls, [
    'requested a3 #7', 'frame #7', 'accepted a3 #8', 'frame #8', 'update a3 #9', 'frame #9', 'update a3 #10', 'frame #10',
    'done a3 #11', 'frame #11', 'ended a3 #12', 'frame #12',
    'requested a4 #13', 'frame #13', 'accepted a4 #14', 'frame #14', 'update a4 #15', 'frame #15', 'done a4 #16', 'frame #16', 'ended a4 #17', 'frame #17',
  ]);
});

test('actions become verdicts and commands with the script as source', () => {
  const run = runStage(runner({
    onFrame: ((f: { verb?: string; kind: string; direction: string }) => {
      if (f.verb === 'EXISTS') return { action: 'drop' };
      if (f.kind === 'continuation') return [{ action: 'delay', ms: 500 }, { action: 'inject', text: '* OK still here', to: 'client' }];
      if (f.verb === 'SELECT') return { action: 'replace', text: 'a2 EXAMINE INBOX' };
      if (f.kind === 'greeting') return [{ action: 'slice', bytes: 3 }, { action: 'throttle', bytesPerSecond: 100 }];
      if (f.kind === 'idle-done') return [{ action: 'blackhole' }, { action: 'reset', side: 'server' }, { action: 'close' }];
      return undefined;
    }) as never,
  }).stage(), IDLE_DIALOG);
  assert.deepEqual(changed(run), [
    'S: * OK [CAPABILITY IMAP4rev1 IDLE] ready -> pace',
    'C: a2 SELECT INBOX -> replace',
    'S: * 3 EXISTS -> drop',
    'S: + idling -> delay',
    'S: * 4 EXISTS -> drop',
    'S: * 5 EXISTS -> drop',
    'S: + idling -> delay',
    'S: * 6 EXISTS -> drop',
  ]);
  const greeting = run.frames[0].result.verdict;
  assert.deepEqual(greeting.kind === 'pace' && [greeting.sliceBytes, greeting.bytesPerSecond, greeting.source], [3, 100, { kind: 'script', file: 'test-hooks.js', hook: 'onFrame' }]);
  const select = run.frames[3].result.verdict;
  assert.equal(select.kind === 'replace' && select.bytes.toString('latin1'), 'a2 EXAMINE INBOX\r\n');
  const plus = run.frames[7].result;
  assert.equal(plus.verdict.kind === 'delay' && plus.verdict.ms, 500);
  assert.deepEqual(plus.commands?.map((c) => (c.kind === 'inject' ? [c.toward, c.bytes.toString('latin1')] : c.kind)), [['client', '* OK still here\r\n']]);
  const done = run.frames[10].result;
  assert.equal(done.verdict.kind, 'forward');
  assert.deepEqual(done.commands?.map((c) => `${c.kind} ${'side' in c ? c.side : ''}`), ['blackhole ', 'reset server', 'close both']);
});

test('a hook that throws: frame forwarded, a hook-error report naming the hook and the error, proxy code unharmed', () => {
  const run = runStage(runner({ onFrame: ((f: { verb?: string }) => { if (f.verb === 'EXISTS') throw new TypeError('boom'); }) as never }).stage(), IDLE_DIALOG);
  assert.deepEqual(changed(run), []);
  const r = reports(frameCommands(run));
  assert.equal(r.length, 4);
  assert.equal(r[0], '5 onFrame threw TypeError: boom; frame forwarded unchanged');
  const first = frameCommands(run)[0];
  assert.deepEqual(first.kind === 'report' && [first.action, first.toward, first.source], ['hook-error', 'client', { kind: 'script', file: 'test-hooks.js', hook: 'onFrame' }]);
});

test('garbage returns: each a hook-error with the reason, frame forwarded', () => {
  const garbage: unknown[] = [42, 'drop', { action: 'dorp' }, { action: 'delay' }, { action: 'delay', ms: -1 }, { action: 'drop', extra: 1 },
    [{ action: 'drop' }, 7], { action: 'replace', text: 'x', bytes: Buffer.from('y') }, [{ action: 'drop' }, { action: 'delay', ms: 1 }],
    { action: 'inject', to: 'nobody', text: 'x' }, { get action(): string { throw new Error('getter'); } }];
  const reasons: string[] = [];
  for (const value of garbage) {
    const run = runStage(runner({ onFrame: ((f: { kind: string }) => (f.kind === 'greeting' ? value : undefined)) as never }).stage(), '  S: * OK hi\n');
    assert.deepEqual(changed(run), [], `forwarded despite ${String(value)}`);
    reasons.push(...reports(frameCommands(run)));
  }
  assert.deepEqual(reasons, [
    '1 onFrame returned 42: not an action (expected nothing, { action: ... } or an array of them); frame forwarded unchanged',
    '1 onFrame returned "drop": not an action (expected nothing, { action: ... } or an array of them); frame forwarded unchanged',
    '1 onFrame unknown action "dorp" (actions: drop, delay, replace, inject, blackhole, reset, close, slice, throttle); frame forwarded unchanged',
    "1 onFrame 'delay' needs ms: a number from 0 to 86400000 (got undefined); frame forwarded unchanged",
    "1 onFrame 'delay' needs ms: a number from 0 to 86400000 (got -1); frame forwarded unchanged",
    "1 onFrame 'drop' has unknown property 'extra'; frame forwarded unchanged",
    '1 onFrame action 2: returned 7: not an action (expected nothing, { action: ... } or an array of them); frame forwarded unchanged',
    "1 onFrame 'replace' needs exactly one of text, parts or bytes (got text and bytes); frame forwarded unchanged",
    '1 onFrame returned more than one frame action (drop, delay); frame forwarded unchanged',
    "1 onFrame 'inject' to must be 'client' or 'server' (got \"nobody\"); frame forwarded unchanged",
    '1 onFrame returned a value that throws when read (Error: getter)',
  ]);
});

test('repeated hook errors are rate-limited and the next report counts what was held back', () => {
  let nowMs = 0;
  const r = runner({ onFrame: () => { throw new Error('always'); } }, { reportBurst: 2, reportRefillMs: 1000, now: () => nowMs });
  const first = reports(frameCommands(runStage(r.stage(), IDLE_DIALOG)));
  assert.deepEqual(first, ['1 onFrame threw Error: always; frame forwarded unchanged', '2 onFrame threw Error: always; frame forwarded unchanged']);
  nowMs = 1000;
  const second = runStage(r.stage(), IDLE_DIALOG);
  assert.deepEqual(changed(second), [], 'frames still forwarded');
  assert.deepEqual(reports(frameCommands(second)), ['1 onFrame threw Error: always; frame forwarded unchanged (15 more hook errors not reported)']);
});

test('module scope keeps state across sessions; sessionData is per session', () => {
  let total = 0;
  const r = runner({
    onFrame: ((f: { verb?: string }, ctx: { sessionData: { n?: number } }) => {
      if (f.verb !== 'EXISTS') return undefined;
      total += 1;
      ctx.sessionData.n = (ctx.sessionData.n ?? 0) + 1;
      return ctx.sessionData.n % 2 === 0 ? { action: 'drop' } : undefined;
    }) as never,
  });
  const a = runStage(r.stage(), IDLE_DIALOG);
  const b = runStage(r.stage(), IDLE_DIALOG, 2);
  assert.equal(total, 8);
  assert.deepEqual(changed(a), ['S: * 4 EXISTS -> drop', 'S: * 6 EXISTS -> drop']);
  assert.deepEqual(changed(b), changed(a));
});

test('first frame action wins: onIdlePhase before onFrame, the later one reported', () => {
  const run = runStage(runner({
    onIdlePhase: ((p: { name: string }) => (p.name === 'accepted' ? { action: 'delay', ms: 10 } : undefined)) as never,
    onFrame: ((f: { kind: string }) => (f.kind === 'continuation' ? [{ action: 'drop' }, { action: 'inject', text: '* OK x' }] : undefined)) as never,
  }).stage(), IDLE_DIALOG);
  assert.deepEqual(changed(run), ['S: + idling -> delay', 'S: + idling -> delay']);
  const plus = run.frames[7].result;
  assert.deepEqual(plus.commands?.map((c) => c.kind), ['report', 'inject']);
  assert.match(reports(plus.commands ?? [])[0], /onFrame returned drop, but onIdlePhase already decided this frame \(delay\): ignored/);
});

test('session hooks: onSessionOpen injects, a frame action there is an error, onSessionClose errors reported', () => {
  const run = runStage(runner({
    onSessionOpen: ((s: { id: number }) => ({ action: 'inject', to: 'client', text: `* OK session ${s.id}` })) as never,
    onSessionClose: () => { throw new Error('bye'); },
  }).stage(), '  S: * OK hi\n', 7);
  assert.deepEqual(run.emitted.map((c) => (c.kind === 'inject' ? c.bytes.toString('latin1') : c.kind === 'report' ? c.detail : c.kind)),
    ['* OK session 7\r\n', 'onSessionClose threw Error: bye']);
  const bad = runStage(runner({ onSessionOpen: () => ({ action: 'drop' }) }).stage(), '  S: * OK hi\n');
  assert.deepEqual(reports(bad.emitted), ["- onSessionOpen returned 'drop', which needs a frame (onSessionOpen may return inject, blackhole, reset, close)"]);
});

test('a hook returning a promise holds the frame until it settles; its commands follow', async () => {
  const run = runStage(runner({
    onFrame: (async (f: { verb?: string }) => (f.verb === 'EXISTS' ? [{ action: 'drop' }, { action: 'inject', text: '* 99 EXISTS' }] : undefined)) as never,
  }).stage(), '  S: * OK hi\n  S: * 3 EXISTS\n');
  assert.deepEqual(changed(run), ['S: * OK hi -> hold', 'S: * 3 EXISTS -> hold']);
  const held = run.frames[1].result.verdict;
  assert.ok(held.kind === 'hold');
  assert.equal((await held.until).kind, 'drop');
  assert.equal(held.kind === 'hold' && held.detail, 'waiting for the promise of onFrame (at most 5000 ms)');
  const first = run.frames[0].result.verdict;
  assert.equal(first.kind === 'hold' && (await first.until).kind, 'forward');
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(run.emitted.map((c) => (c.kind === 'inject' ? c.bytes.toString('latin1') : c.kind)), ['* 99 EXISTS\r\n']);
});

test('a promise that rejects or never settles: forwarded after the timeout, reported', async () => {
  const run = runStage(runner({
    onFrame: ((f: { verb?: string }) => (f.verb === 'EXISTS' ? new Promise(() => undefined) : Promise.reject(new RangeError('nope')))) as never,
  }, { hookTimeoutMs: 20 }).stage(), '  S: * OK hi\n  S: * 3 EXISTS\n');
  // The hook timeout does not keep a process alive (unref'd); in the proxy the sockets do, here this does.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    const verdicts = await Promise.all(run.frames.map((f) => (f.result.verdict.kind === 'hold' ? f.result.verdict.until : Promise.resolve(f.result.verdict))));
    assert.deepEqual(verdicts.map((v) => v.kind), ['forward', 'forward']);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reports(run.emitted), ['1 onFrame threw RangeError: nope; frame forwarded unchanged', '2 onFrame returned a promise that did not settle within 20 ms; frame forwarded unchanged']);
  } finally {
    clearInterval(keepAlive);
  }
});

test('a hook error naming peer text: the report is one escaped, bounded line', () => {
  const run = runStage(runner({ onFrame: ((f: { text: string }) => { throw new Error(`${f.text}\n\x1b[2J${'x'.repeat(1000)}`); }) as never }).stage(), '  S: * OK \x1b]0;pwned\x07 hi\n');
  const [detail] = reports(frameCommands(run));
  assert.doesNotMatch(detail, /[\x00-\x1f\x7f-\x9f]/);
  assert.ok(detail.length < 320, `${detail.length} chars`);
  assert.match(detail, /^1 onFrame threw Error: \* OK \\x1b\]0;pwned\\x07 hi\\n\\x1b\[2Jxxx/);
});
