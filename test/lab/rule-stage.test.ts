import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import type { ChangeSource } from '../../src/imap/intervention';
import type { FrameVerdict, SessionCommand, StageResult } from '../../src/lab/frame-stage';
import type { Rule } from '../../src/lab/rule';
import { parseRule } from '../../src/lab/rule-parser';
import { RULE_DETAIL_MAX, RuleStage } from '../../src/lab/rule-stage';
import { phases } from '../imap/session-harness';
import { transcript } from '../imap/transcript';
import { DOVECOT_IDLE_SESSION, DOVECOT_SESSION } from './dovecot-transcripts';
import { framesWithBytes, reframe, type FramedBytes } from './framed';

function rules(...texts: string[]): Rule[] {
  return texts.map((text, i) => {
    const r = parseRule(text, i + 1);
    if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
    return r.rule;
  });
}

/** Whether each frame lies in an IDLE period (from `tag IDLE` to its tagged response), from the phases. */
function idleFlags(framed: FramedBytes[]): boolean[] {
  let inIdle = false;
  return framed.map(({ frame }) => {
    const p = phases(frame);
    if (p.includes('idle-requested')) inIdle = true;
    const flag = inIdle;
    if (p.includes('idle-ended') || p.includes('idle-rejected')) inIdle = false;
    return flag;
  });
}

interface Step {
  frame: Frame;
  result: StageResult;
}

/** Each frame through the stage, in order; `between(i)` runs before frame i (to move fake time). */
function run(stage: RuleStage, framed: FramedBytes[], between: (i: number) => void = () => {}): Step[] {
  const idle = idleFlags(framed);
  return framed.map(({ frame, bytes }, i) => {
    between(i);
    const result = stage.onFrame(frame, bytes, { session: 1, inIdle: idle[i], text: () => frameText(frame, { revealSecrets: false }) });
    return { frame, result };
  });
}

function label(frame: Frame): string {
  return `${frame.direction === 'client' ? 'C' : 'S'}: ${frameText(frame, { revealSecrets: true }).slice(0, 30)}`;
}

/** Frames with a verdict other than forward, as `label -> kind (rule N)`. */
function acted(steps: Step[]): string[] {
  return steps.filter((s) => s.result.verdict.kind !== 'forward').map((s) => `${label(s.frame)} -> ${describe(s.result.verdict)}`);
}

function describe(v: FrameVerdict): string {
  const by = (s: ChangeSource): string => (s.kind === 'rule' ? `rule ${s.index}` : s.kind);
  switch (v.kind) {
    case 'forward': return 'forward';
    case 'replace': return `replace/${v.action} (${(v.contributors ?? [v.source]).map(by).join(', ')})`;
    case 'drop': return `drop (${by(v.source)})`;
    case 'delay': return `delay ${v.ms} (${by(v.source)})`;
    case 'pace': return `pace ${v.sliceBytes ?? '-'}/${v.bytesPerSecond ?? '-'} (${by(v.source)})`;
    case 'hold': return 'hold';
    default: return 'unknown';
  }
}

function commandList(commands: SessionCommand[]): string[] {
  return commands.map((c) => {
    const by = c.source.kind === 'rule' ? c.source.index : '?';
    switch (c.kind) {
      case 'inject': return `inject to ${c.toward} ${JSON.stringify(c.bytes.toString('latin1'))} (rule ${by})`;
      case 'blackhole': return `blackhole (rule ${by})`;
      case 'reset': return `reset ${c.side} (rule ${by})`;
      case 'close': return `close ${c.side} (rule ${by})`;
      default: return 'unknown';
    }
  });
}

test('hide-capability: greeting, CAPABILITY and tagged [CAPABILITY] rewritten; two rules compose and both are named', () => {
  const steps = run(new RuleStage(rules('hide-capability IDLE', 'hide-capability COMPRESS=DEFLATE')), [
    ...framesWithBytes(DOVECOT_SESSION), ...framesWithBytes(DOVECOT_IDLE_SESSION)]);
  assert.deepEqual(acted(steps), [
    'S: * OK [CAPABILITY IMAP4rev1 SAS -> replace/hide-capability (rule 1)',
    'S: * CAPABILITY IMAP4rev1 SASL-IR -> replace/hide-capability (rule 1)',
    'S: * CAPABILITY IMAP4rev1 SASL-IR -> replace/hide-capability (rule 1, rule 2)',
    'S: * OK [CAPABILITY IMAP4rev1 SAS -> replace/hide-capability (rule 1)',
    'S: a1 OK [CAPABILITY IMAP4rev1 SA -> replace/hide-capability (rule 1, rule 2)',
  ]);
  const tagged = steps.filter((s) => s.result.verdict.kind === 'replace')[4].result.verdict;
  assert.ok(tagged.kind === 'replace');
  assert.doesNotMatch(tagged.bytes.toString('latin1'), / IDLE | COMPRESS=DEFLATE\]/);
  assert.deepEqual(tagged.source, { kind: 'rule', index: 1, text: 'hide-capability IDLE' });
  assert.equal(tagged.detail, `hid IDLE COMPRESS=DEFLATE (${tagged.bytes.length + 22} -> ${tagged.bytes.length} bytes)`);
});

test('drop ~dir s ~idle ~c EXISTS drops the EXISTS during IDLE, not the one answering SELECT; a text filter matches the same', () => {
  const framed = framesWithBytes(DOVECOT_IDLE_SESSION);
  assert.deepEqual(acted(run(new RuleStage(rules('drop ~dir s ~idle ~c EXISTS')), framed)), ['S: * 2 EXISTS -> drop (rule 1)']);
  assert.deepEqual(acted(run(new RuleStage(rules('drop ~dir s ~idle "EXISTS"')), framed)), ['S: * 2 EXISTS -> drop (rule 1)']);
  assert.deepEqual(acted(run(new RuleStage(rules('drop ~c EXISTS every 2nd')), framed)), ['S: * 2 EXISTS -> drop (rule 1)'], 'the 2nd EXISTS');
  assert.deepEqual(acted(run(new RuleStage(rules('drop ~c EXISTS every 1st')), framed)), ['S: * 1 EXISTS -> drop (rule 1)', 'S: * 2 EXISTS -> drop (rule 1)']);
});

test('delay 500ms ~c DONE delays the DONE that ends IDLE', () => {
  assert.deepEqual(acted(run(new RuleStage(rules('delay 500ms ~c DONE')), framesWithBytes(DOVECOT_IDLE_SESSION))), ['C: DONE -> delay 500 (rule 1)']);
});

test('the first rule that acts decides; a rewrite that changes nothing does not act; slice and throttle merge', () => {
  const framed = framesWithBytes(DOVECOT_SESSION);
  assert.deepEqual(acted(run(new RuleStage(rules('delay 1s ~c FETCH', 'drop ~c FETCH')), framed)), [
    'C: a5 FETCH 1 (UID BODY.PEEK[HEAD -> delay 1000 (rule 1)',
    'S: * 1 FETCH (UID 1 BODY[HEADER.F -> delay 1000 (rule 1)',
    'S: a5 OK Fetch completed (0.002 + -> delay 1000 (rule 1)',
  ]);
  assert.deepEqual(acted(run(new RuleStage(rules('drop ~c FETCH', 'delay 1s ~c FETCH')), framed)).map((s) => s.replace(/.* -> /, '')), ['drop (rule 1)', 'drop (rule 1)', 'drop (rule 1)']);
  assert.deepEqual(acted(run(new RuleStage(rules("replace /hello/ 'bye' ~c FETCH", 'drop ~c FETCH')), framed)), [
    'C: a5 FETCH 1 (UID BODY.PEEK[HEAD -> drop (rule 2)',
    'S: * 1 FETCH (UID 1 BODY[HEADER.F -> replace/replace (rule 1)',
    'S: a5 OK Fetch completed (0.002 + -> drop (rule 2)',
  ]);
  const paced = run(new RuleStage(rules('slice 1 ~dir s', 'throttle 10KB/s', 'slice 9')), framed.slice(0, 3));
  assert.deepEqual(paced.map((s) => describe(s.result.verdict)), ['pace 1/10240 (rule 1)', 'pace 9/10240 (rule 2)', 'pace 1/10240 (rule 1)']);
});

test('replace and hide-capability compose on one frame; the result is well framed', () => {
  const framed = framesWithBytes(DOVECOT_SESSION);
  const steps = run(new RuleStage(rules("replace /Dovecot/ 'Imapdbg' ~dir s", 'hide-capability STARTTLS', "replace /Imapdbg \\(Debian\\)/ 'X'")), framed.slice(0, 1));
  const v = steps[0].result.verdict;
  assert.ok(v.kind === 'replace');
  assert.equal(v.bytes.toString('latin1'), '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=LOGIN] X ready.\r\n');
  assert.deepEqual(v.contributors?.map((s) => (s.kind === 'rule' ? s.index : 0)), [1, 2, 3]);
  assert.equal(v.action, 'replace');
  const fetchStep = run(new RuleStage(rules("replace /hello rules/ 'a much longer subject than before'")), framed)
    .find((s) => s.frame.verb === 'FETCH' && s.frame.direction === 'server');
  assert.ok(fetchStep?.result.verdict.kind === 'replace');
  const again = reframe('server', fetchStep.result.verdict.bytes);
  assert.ok(again.complete && again.frames.length === 1);
});

test('inject after the matching frame; blackhole/reset/close instead of it, after the injections, and then the stage is done', () => {
  const framed = framesWithBytes(transcript(`
    S: * OK ready
    C: a1 NOOP
    S: a1 OK done
    C: a2 IDLE
    S: + idling
    C: DONE
    S: a2 OK done
    C: a3 NOOP
    S: a3 OK done`));
  const steps = run(new RuleStage(rules("inject '* OK still here' ~c NOOP ~dir c", "inject to server 'x NOOP' ~c DONE", 'close both ~c DONE')), framed);
  assert.deepEqual(steps.map((s) => `${label(s.frame)} -> ${describe(s.result.verdict)}${s.result.commands ? ` + ${commandList(s.result.commands).join(', ')}` : ''}`), [
    'S: * OK ready -> forward',
    'C: a1 NOOP -> forward + inject to client "* OK still here\\r\\n" (rule 1)',
    'S: a1 OK done -> forward',
    'C: a2 IDLE -> forward',
    'S: + idling -> forward',
    'C: DONE -> drop (rule 3) + inject to server "x NOOP\\r\\n" (rule 2), close both (rule 3)',
    'S: a2 OK done -> forward',
    'C: a3 NOOP -> forward',
    'S: a3 OK done -> forward',
  ]);
  const blackholed = run(new RuleStage(rules('blackhole ~c IDLE ~dir c', 'drop')), framed);
  assert.deepEqual(blackholed.map((s) => describe(s.result.verdict)), ['drop (rule 2)', 'drop (rule 2)', 'drop (rule 2)', 'drop (rule 1)', 'forward', 'forward', 'forward', 'forward', 'forward']);
  assert.deepEqual(commandList(blackholed[3].result.commands ?? []), ['blackhole (rule 1)']);
});

test('detail: one line, nothing a terminal interprets, bounded; the change source carries the rule text', () => {
  const text = `inject '\\x1b' ~c NOOP`;
  assert.equal(parseRule(text, 1).ok, false, 'no \\x escape');
  const hostile = `inject '* OK \u001b[31m${'y'.repeat(500)}' ~c NOOP`;
  const steps = run(new RuleStage(rules(hostile)), framesWithBytes(transcript('C: a1 NOOP')));
  const [command] = steps[0].result.commands ?? [];
  assert.ok(command?.kind === 'inject');
  assert.ok(command.detail.length <= RULE_DETAIL_MAX + 3, `${command.detail.length}`);
  assert.doesNotMatch(command.detail, /[\x00-\x1f\x7f]/);
  assert.match(command.detail, /^inject 512 bytes to the client: \* OK \\x1b\[31myyy/);
  assert.deepEqual(command.source, { kind: 'rule', index: 1, text: hostile });
});

const TWO_IDLES = transcript(`
  S: * OK ready
  C: a1 IDLE
  S: + idling
  C: DONE
  S: a1 OK done
  C: a2 IDLE
  S: + idling
  C: DONE
  S: a2 OK done`);

test('after 2s in IDLE: once per IDLE period, 2 s after the + (fake timers)', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const stage = new RuleStage(rules("inject '* OK still here' after 2s in IDLE", 'close client after 3s in IDLE'));
  const emitted: string[] = [];
  stage.onSessionOpen(1, (commands) => emitted.push(...commandList(commands)));
  const framed = framesWithBytes(TWO_IDLES);
  run(stage, framed, (i) => {
    // Before the first DONE (frame 3): 2.5 s of IDLE; before the second DONE (frame 7): 5 s.
    if (i === 3) {
      t.mock.timers.tick(1999);
      assert.deepEqual(emitted, []);
      t.mock.timers.tick(1);
      assert.deepEqual(emitted, ['inject to client "* OK still here\\r\\n" (rule 1)']);
      t.mock.timers.tick(499);
    }
    if (i === 7) t.mock.timers.tick(5000);
  });
  assert.deepEqual(emitted, [
    'inject to client "* OK still here\\r\\n" (rule 1)',
    'inject to client "* OK still here\\r\\n" (rule 1)',
    'close client (rule 2)',
  ], 'the first IDLE ended before 3 s: its close was cancelled; the second got both');
  t.mock.timers.tick(60_000);
  assert.equal(emitted.length, 3, 'nothing after the stage closed the session');
});

test('the DONE cancels the IDLE timer; a blackhole by timer ends the stage: no more verdicts or timers', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const emitted: string[] = [];
  const stage = new RuleStage(rules('blackhole after 2s in IDLE', 'delay 1s ~c DONE'));
  stage.onSessionOpen(1, (commands) => emitted.push(...commandList(commands)));
  const framed = framesWithBytes(TWO_IDLES);
  const steps = run(stage, framed, (i) => {
    if (i === 3) t.mock.timers.tick(1000); // DONE after 1 s: no blackhole
    if (i === 5) t.mock.timers.tick(10_000); // between the IDLEs: nothing runs
    if (i === 7) t.mock.timers.tick(2000); // the second IDLE lasts 2 s: blackhole
  });
  assert.deepEqual(emitted, ['blackhole (rule 1)']);
  assert.deepEqual(steps.map((s) => describe(s.result.verdict)), ['forward', 'forward', 'forward', 'delay 1000 (rule 2)', 'forward', 'forward', 'forward', 'forward', 'forward']);
});

test('after 10s (no IDLE): once, 10 s after the session opened; onSessionClose clears the timers', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const emitted: string[] = [];
  const stage = new RuleStage(rules('close both after 10s', "inject '* OK hi' after 1s"));
  stage.onSessionOpen(1, (commands) => emitted.push(...commandList(commands)));
  t.mock.timers.tick(9999);
  assert.deepEqual(emitted, ['inject to client "* OK hi\\r\\n" (rule 2)']);
  t.mock.timers.tick(1);
  assert.deepEqual(emitted, ['inject to client "* OK hi\\r\\n" (rule 2)', 'close both (rule 1)']);
  t.mock.timers.tick(100_000);
  assert.equal(emitted.length, 2);

  const closed: string[] = [];
  const early = new RuleStage(rules('close both after 10s'));
  early.onSessionOpen(2, (commands) => closed.push(...commandList(commands)));
  t.mock.timers.tick(5000);
  early.onSessionClose();
  t.mock.timers.tick(100_000);
  assert.deepEqual(closed, []);
});
