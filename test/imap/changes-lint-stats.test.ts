// Lint and stats never blame a peer for what imapdbg did: a client command it dropped is not
// "unanswered" by the server nor in progress there; an IDLE it ended is not "connection lost";
// stats count each rule's changes per source and action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyEvent } from '../../src/imap/events';
import { IdleWatch } from '../../src/imap/idle-watch';
import { SessionStatsCollector, statsText } from '../../src/imap/session-stats';
import { Reframer } from '../../src/capture/reframer';
import { SessionModel } from '../../src/imap/session-model';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import { DEFAULT_IDLE_THRESHOLDS } from '../../src/imap/idle-thresholds';
import type { Intervention } from '../../src/imap/intervention';
import { changedSessionEvents, SESSION } from '../capture/changed-session';

function findingCodes(events: ProxyEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'finding' ? [e.finding.code]
    : e.type === 'frame' ? e.frame.annotations.flatMap((a) => (a.kind === 'finding' ? [a.finding.code] : [])) : []));
}

function watched(events: ProxyEvent[]): ProxyEvent[] {
  const out: ProxyEvent[] = [];
  const watch = new IdleWatch({ handle: (e) => { out.push(e); } });
  for (const e of events) watch.handle(e);
  return out;
}

test('an IDLE that imapdbg ended (injected BYE, close) is not reported as a connection lost by a peer', () => {
  const { events } = changedSessionEvents();
  assert.deepEqual(findingCodes(watched(events)).filter((c) => c === 'idle-connection-lost'), []);
  // Without the interventions the same bytes blame the client for closing during IDLE.
  const without = events.filter((e) => e.type !== 'intervention');
  assert.deepEqual(findingCodes(watched(without)).filter((c) => c === 'idle-connection-lost'), ['idle-connection-lost']);
});

test('a dropped client command is forgotten: not pending in pairing, not in progress for the EXPUNGE rule', () => {
  const forgot = changedSessionEvents({ forget: true, expunge: true });
  assert.ok(findingCodes(forgot.events).includes('expunge-without-command'), 'the server\'s EXPUNGE with no command in progress is flagged');
  const kept = changedSessionEvents({ forget: false, expunge: true });
  assert.ok(!findingCodes(kept.events).includes('expunge-without-command'), 'without forgetCommand the dropped NOOP hides it');
});

test('offline, the reframer forgets a recorded dropped command as the live model did', () => {
  const { events } = changedSessionEvents({ forget: false, expunge: true });
  const out: ProxyEvent[] = [];
  const reframer = new Reframer({ handle: (e) => { out.push(e); } });
  for (const e of events) reframer.handle(e);
  assert.ok(findingCodes(out).includes('expunge-without-command'));
  const plain: ProxyEvent[] = [];
  const again = new Reframer({ handle: (e) => { plain.push(e); } });
  for (const e of events.filter((x) => x.type !== 'intervention')) again.handle(e);
  assert.ok(!findingCodes(plain).includes('expunge-without-command'));
});

test('stats: changes per source and action; a dropped command is counted as dropped, not unanswered', () => {
  const { events } = changedSessionEvents();
  const stats = new SessionStatsCollector();
  for (const e of events) stats.handle(e);
  const [s] = stats.summaries();
  assert.equal(s.session, SESSION);
  const noop = s.commands.find((c) => c.command === 'NOOP');
  assert.deepEqual({ count: noop?.count, unanswered: noop?.unanswered, dropped: noop?.dropped }, { count: 1, unanswered: 0, dropped: 1 });
  assert.deepEqual(s.changes.map((c) => [c.kind, c.rule, c.action, c.count, c.deliveredBytes]), [
    ['rule', 1, 'drop', 1, 0], ['rule', 2, 'drop', 1, 0], ['rule', 3, 'close', 1, 0], ['rule', 3, 'inject', 1, 24],
  ]);
  const text = statsText([s]);
  assert.match(text, /NOOP .*\(1 dropped by imapdbg\)/);
  assert.doesNotMatch(text, /NOOP.*unanswered/);
  assert.match(text, /changes   rule 1: drop ~dir c ~c NOOP: drop 1\n/);
  assert.match(text, /rule 3: inject '\* BYE imapdbg says bye' after 5s in IDLE: close 1, inject 1 \(24 bytes\)\n/);
  // JSON carries the same (the stats command prints the summaries as they are).
  assert.equal(JSON.parse(JSON.stringify(s)).changes.length, 4);
});

test('stats: a drop told before its frame still counts the command as dropped', () => {
  const { events } = changedSessionEvents();
  const i = events.findIndex((e) => e.type === 'intervention');
  const frameAt = events.findIndex((e) => e.type === 'frame' && e.frame.verb === 'NOOP');
  const reordered = [...events];
  const [drop] = reordered.splice(i, 1);
  reordered.splice(frameAt, 0, drop);
  const stats = new SessionStatsCollector();
  for (const e of reordered) stats.handle(e);
  const noop = stats.summaries()[0].commands.find((c) => c.command === 'NOOP');
  assert.deepEqual([noop?.unanswered, noop?.dropped], [0, 1]);
});

test('stats: change kinds per session are bounded', () => {
  const stats = new SessionStatsCollector();
  stats.handle({ type: 'session-open', session: { id: 1, startUs: 1, client: 'c:1', upstream: 's:2', listen: 'l:3' } });
  for (let i = 1; i <= 500; i++) {
    stats.handle({ type: 'intervention', session: 1, timeUs: 2, intervention: { action: 'delay', amount: 5, source: { kind: 'rule', index: i, text: `delay 5ms ${'x'.repeat(5000)}` }, toward: 'client', detail: 'd' } });
  }
  const [s] = stats.summaries();
  assert.ok(s.changes.length <= 101);
  assert.equal(s.changes.reduce((n, c) => n + c.count, 0), 500);
  assert.ok(s.changes.every((c) => c.source.length < 3000));
});

test('IDLE timing: a DONE imapdbg delayed counts from its delivery; one it dropped is never "unanswered"', () => {
  const run = (change: ProxyEvent | undefined): string[] => {
    const open: ProxyEvent = { type: 'session-open', session: { id: 1, startUs: 0, client: 'c:1', upstream: 's:2', listen: 'l:3' } };
    const out: ProxyEvent[] = [];
    const watch = new IdleWatch({ handle: (e) => { out.push(e); } }, { ...DEFAULT_IDLE_THRESHOLDS, doneTimeoutUs: 1_000_000 });
    watch.handle(open);
    const model = new SessionModel(1, { frame: (frame) => watch.handle({ type: 'frame', frame }), finding: () => undefined }, defaultAnnotators());
    model.push('server', Buffer.from('* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n'), 1_000);
    model.push('client', Buffer.from('a IDLE\r\n'), 2_000);
    model.push('server', Buffer.from('+ idling\r\n'), 3_000);
    model.push('client', Buffer.from('DONE\r\n'), 4_000);
    if (change) watch.handle(change);
    // The server answers 1.5 s after the client's DONE.
    model.push('server', Buffer.from('a OK done\r\n'), 1_504_000);
    return findingCodes(out);
  };
  const change = (action: Intervention['action'], ms?: number): ProxyEvent => ({ type: 'intervention', session: 1, timeUs: 4_001, intervention: {
    action, ...(ms !== undefined ? { amount: ms } : {}), toward: 'server', frameSeq: 4, detail: 'DONE', source: { kind: 'rule', index: 1, text: `${action} ~c DONE` } } });
  assert.deepEqual(run(undefined), ['done-unanswered']);
  assert.deepEqual(run(change('delay', 1000)), []);
  assert.deepEqual(run(change('delay', 100)), ['done-unanswered']);
  assert.deepEqual(run(change('drop')), []);
});
