// Issue 9 items 6 and 7: what a session keeps is bounded, and what it drops is counted and said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedCopy } from '../../src/imap/bounded-string';
import { CapabilityTracker, MAX_KEPT_CAPABILITIES } from '../../src/imap/capability-tracker';
import { MAX_PENDING_COMMANDS } from '../../src/imap/command-pairing';
import { SEGMENT_BOUNDS } from '../../src/imap/direction-framer';
import { DurationDigest, EXACT_DURATIONS, summary } from '../../src/imap/duration-digest';
import type { Frame } from '../../src/imap/frame';
import { IdleTracker, MAX_KEPT_IDLE_PERIODS } from '../../src/imap/idle-tracker';
import { SessionModel } from '../../src/imap/session-model';
import { OTHER_NAMES, SessionStatsCollector, STATS_LIMITS, statsText } from '../../src/imap/session-stats';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import { codes, modelSteps } from './session-harness';
import { transcript } from './transcript';

const GREET = '* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] ready\r\n';

test('pairing remembers at most MAX_PENDING_COMMANDS commands; the forgotten are counted and reported', () => {
  const frames: Frame[] = [];
  const ended: string[] = [];
  const model = new SessionModel(1, { frame: (f) => frames.push(f), finding: (f) => ended.push(`${f.code}: ${f.message}`) }, defaultAnnotators());
  model.push('server', Buffer.from(GREET), 0);
  const n = MAX_PENDING_COMMANDS + 5;
  let noops = '';
  for (let i = 1; i <= n; i += 1) noops += `n${i} NOOP\r\n`;
  model.push('client', Buffer.from(noops), 1);
  assert.equal(model.pendingCommands, MAX_PENDING_COMMANDS);
  const firstForgotten = frames.findIndex((f) => codes(f).includes('pending-commands-forgotten'));
  assert.equal(frames[firstForgotten].tag, `n${MAX_PENDING_COMMANDS + 1}`, 'said once, when the first command is forgotten');
  assert.equal(frames.filter((f) => codes(f).includes('pending-commands-forgotten')).length, 1);
  // A late answer to a forgotten command is not an error; one to a remembered command still pairs.
  model.push('server', Buffer.from(`n1 OK done\r\nn${n} OK done\r\n`), 2);
  const [late, paired] = frames.slice(-2);
  assert.equal(late.annotations.find((a) => a.kind === 'finding' && a.finding.code === 'unknown-tag' && a.finding.level === 'info') !== undefined, true);
  assert.ok(paired.annotations.some((a) => a.kind === 'pair' && a.command === 'NOOP'));
  model.end(3);
  assert.deepEqual(ended, [`pending-commands-forgotten: 5 commands forgotten unanswered: more than ${MAX_PENDING_COMMANDS} waited for a response at once, so the oldest were dropped from pairing`]);
});

test('duration digest: exact up to EXACT_DURATIONS values, then a histogram within 1 %, labelled approximate', () => {
  const small = new DurationDigest();
  const values = Array.from({ length: EXACT_DURATIONS }, (_, i) => (i * 7919) % 100_000);
  for (const v of values) small.add(v);
  assert.deepEqual(small.summary(), summary(values));
  const big = new DurationDigest();
  const many = Array.from({ length: 200_000 }, (_, i) => 100 + ((i * 104_729) % 1_000_000));
  for (const v of many) big.add(v);
  const exact = summary(many);
  const approx = big.summary();
  assert.equal(approx.approximate, true);
  assert.equal(approx.count, exact.count);
  assert.equal(approx.maxUs, exact.maxUs);
  for (const k of ['medianUs', 'p95Us'] as const) {
    assert.ok(approx[k] >= exact[k] && approx[k] <= exact[k] * 1.0101 + 1, `${k}: ${approx[k]} vs ${exact[k]}`);
  }
});

test('stats: at most STATS_LIMITS.commandNames names per session, the rest under OTHER_NAMES; the table prints', () => {
  const stats = new SessionStatsCollector();
  const model = new SessionModel(1, { frame: (frame) => stats.handle({ type: 'frame', frame }), finding: () => undefined }, defaultAnnotators());
  stats.handle({ type: 'session-open', session: { id: 1, startUs: 0, client: 'c', upstream: 'u', listen: 'l' } });
  model.push('server', Buffer.from(GREET), 0);
  let verbs = '';
  for (let i = 1; i <= 130_000; i += 1) verbs += `t${i} VERB${i}\r\n`;
  model.push('client', Buffer.from(verbs), 1);
  model.push('server', Buffer.from('t1 OK done\r\nt130000 BAD unknown\r\n'), 2);
  const [s] = stats.summaries();
  assert.equal(s.commands.length, STATS_LIMITS.commandNames + 1);
  const other = s.commands[s.commands.length - 1];
  assert.deepEqual([other.command, other.count, other.unanswered, other.latency.count], [OTHER_NAMES, 130_000 - STATS_LIMITS.commandNames, 129_899, 1]);
  const text = statsText([s]);
  assert.match(text, /\(other names\)\s+129900 /);
});

test('stats: a closed session keeps only its summary; past the itemised limit the oldest are summed in one line', () => {
  const stats = new SessionStatsCollector(2);
  for (let id = 1; id <= 3; id += 1) {
    stats.handle({ type: 'session-open', session: { id, startUs: 0, client: 'c', upstream: 'u', listen: 'l' } });
    const model = new SessionModel(id, { frame: (frame) => stats.handle({ type: 'frame', frame }), finding: () => undefined }, defaultAnnotators());
    model.push('server', Buffer.from(GREET), 0);
    model.push('client', Buffer.from('a1 NOOP\r\n'), 1);
    model.push('server', Buffer.from('a1 OK done\r\n'), 2);
    stats.handle({ type: 'session-close', session: id, timeUs: 3, end: { by: 'client-closed' }, bytes: { client: 9, server: 12 }, frames: 3 });
  }
  assert.deepEqual(stats.summaries().map((s) => s.session), [2, 3]);
  assert.deepEqual(stats.folded(), { sessions: 1, frames: 3, bytes: { client: 0, server: 0 }, commands: 1, unanswered: 0, findings: { error: 0, warning: 0, info: 0 } });
  assert.match(statsText(stats.summaries(), stats.folded()), /^1 earlier session, summed \(only the last 1000 closed are itemised\): 3 frames/);
});

test('a segment of endless literal-announcing lines is cut into frames of at most SEGMENT_BOUNDS.parts parts', () => {
  let body = 'a1 APPEND INBOX {0+}\r\n';
  for (let i = 0; i < 2500; i += 1) body += ' {0+}\r\n';
  body += '\r\n';
  const run = modelSteps([[{ direction: 'server', bytes: Buffer.from(GREET) }], [{ direction: 'client', bytes: Buffer.from(body) }]]);
  const client = run.frames.filter((f) => f.direction === 'client');
  assert.ok(client.length >= 3, `${client.length} frames`);
  assert.ok(client.every((f) => f.parts.length <= SEGMENT_BOUNDS.parts));
  assert.deepEqual(client.map((f) => f.kind), ['command', ...Array<string>(client.length - 1).fill('command-continuation')]);
  assert.equal(client.reduce((n, f) => n + f.length, 0), body.length, 'every byte in exactly one frame');
  client.slice(1).forEach((f, i) => assert.equal(f.offset, client[i].offset + client[i].length));
});

test('stored peer strings are bounded: capability lists, IDLE periods, copies of long tags', () => {
  const caps = new CapabilityTracker();
  const list = Array.from({ length: 5_000 }, (_, i) => `X-CAP-${i}`).join(' ');
  const frame = modelSteps([transcript(`S: * OK [CAPABILITY IMAP4rev1 ${list}] hi`)]).frames[0];
  const [phase] = caps.observe({ ...frame, annotations: [] });
  assert.ok(caps.state.kind === 'known' && caps.state.capabilities.size === MAX_KEPT_CAPABILITIES);
  assert.equal(phase.kind === 'phase' && phase.phase === 'capabilities' ? phase.detail.ignored : undefined, 5_001 - MAX_KEPT_CAPABILITIES);

  const idle = new IdleTracker();
  const steps: string[] = [];
  for (let i = 0; i < MAX_KEPT_IDLE_PERIODS + 50; i += 1) steps.push(`C: i${i} IDLE`, `S: i${i} NO not now`);
  for (const f of modelSteps(transcript(steps.join('\n')).map((s) => [s])).frames) idle.observe({ ...f, annotations: [] });
  assert.equal(idle.periods.length, MAX_KEPT_IDLE_PERIODS);

  const long = 'x'.repeat(70_000);
  assert.equal(boundedCopy(long, 128), `${'x'.repeat(128)}...`);
  assert.equal(boundedCopy('short', 128), 'short');
});

test('a server response of endless literals is cut too; the rest stays an untagged frame of the same name', () => {
  let body = '* 1 FETCH (BODY[1] {0}\r\n';
  for (let i = 0; i < 2500; i += 1) body += ` BODY[${i + 2}] {0}\r\n`;
  body += ')\r\n';
  const run = modelSteps([[{ direction: 'server', bytes: Buffer.from(GREET + body) }]]);
  const fetch = run.frames.slice(1);
  assert.ok(fetch.length >= 3 && fetch.every((f) => f.kind === 'untagged' && f.verb === 'FETCH' && f.parts.length <= SEGMENT_BOUNDS.parts));
  assert.equal(fetch.reduce((n, f) => n + f.length, 0), body.length);
});

test('stats text marks histogram quantiles with "~" once a name has more than EXACT_DURATIONS answers', () => {
  const stats = new SessionStatsCollector();
  const model = new SessionModel(1, { frame: (frame) => stats.handle({ type: 'frame', frame }), finding: () => undefined }, defaultAnnotators());
  stats.handle({ type: 'session-open', session: { id: 1, startUs: 0, client: 'c', upstream: 'u', listen: 'l' } });
  model.push('server', Buffer.from(GREET), 0);
  for (let i = 1; i <= EXACT_DURATIONS + 1; i += 1) {
    model.push('client', Buffer.from(`n${i} NOOP\r\n`), i * 1000);
    model.push('server', Buffer.from(`n${i} OK done\r\n`), i * 1000 + 250);
  }
  model.push('client', Buffer.from('c1 CHECK\r\n'), 10_000_000);
  model.push('server', Buffer.from('c1 OK done\r\n'), 10_000_500);
  const text = statsText(stats.summaries());
  assert.match(text, /NOOP\s+1025\s+~250 µs\s+~250 µs\s+250 µs/);
  assert.match(text, /CHECK\s+1\s+500 µs\s+500 µs\s+500 µs/);
});
