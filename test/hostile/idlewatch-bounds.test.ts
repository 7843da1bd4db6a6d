// Hostile input for the IDLE watch and the push correlator: floods of sessions and of changes stay bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import type { ProxyEvent } from '../../src/imap/events';
import { IdleWatch, MAX_WATCHED_SESSIONS } from '../../src/imap/idle-watch';
import { PUSH_LIMITS } from '../../src/imap/push-latency';
import { SessionModel } from '../../src/imap/session-model';

/** Feeds one session's lines (server lines start with `S:`) to the watch through a real session model, left open. */
function session(watch: IdleWatch, id: number, lines: string[], timeUs: number): void {
  watch.handle({ type: 'session-open', session: { id, startUs: timeUs, client: '127.0.0.1:1', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  const model = new SessionModel(id, {
    frame: (frame) => watch.handle({ type: 'frame', frame }),
    finding: () => undefined,
  }, defaultAnnotators());
  for (const l of lines) {
    const server = l.startsWith('S: ');
    model.push(server ? 'server' : 'client', Buffer.from(`${server ? l.slice(3) : l}\r\n`), timeUs);
  }
}

test('12,000 sessions idling and never closed, 3,000 changes nobody hears, 1,000 unanswered: state stays bounded', () => {
  const findings: string[] = [];
  const watch = new IdleWatch({ handle: (e: ProxyEvent) => { if (e.type === 'finding') findings.push(e.finding.code); } });
  const login = ['S: * OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] hi', 'a1 LOGIN bob x', 'S: a1 OK in', 'a2 SELECT INBOX', 'S: a2 OK [READ-WRITE] in'];
  for (let id = 1; id <= 12_000; id++) session(watch, id, [...login, 'a3 IDLE', 'S: + idling'], id);
  assert.equal(watch.held.timedSessions, MAX_WATCHED_SESSIONS);
  assert.equal(watch.held.push.sessions, PUSH_LIMITS.sessions);
  const changes: string[] = [...login];
  for (let i = 0; i < 3000; i++) changes.push(`c${i} STORE 1 +FLAGS (\\Seen)`, `S: c${i} OK done`);
  for (let i = 0; i < 1000; i++) changes.push(`u${i} STORE 1 +FLAGS (\\Seen)`);
  session(watch, 20_000, changes, 20_000);
  const held = watch.held.push;
  assert.equal(held.pending, PUSH_LIMITS.pendingChanges);
  // Each change waits for at most 32 of the 10,000 idlers (all 10,000 took ~1 GB for 1,000 changes).
  assert.equal(held.listeners, PUSH_LIMITS.pendingChanges * PUSH_LIMITS.listenersPerChange);
  assert.equal(held.inFlight, PUSH_LIMITS.changesInFlightPerSession);
  assert.equal(held.sessions, PUSH_LIMITS.sessions);
  assert.deepEqual(findings, []);
});
