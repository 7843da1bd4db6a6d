// The TUI's IDLE bands and login state, and `stats`, read what the session model's trackers
// annotated: for a dialog through the real SessionModel they must tell the IdleTracker's and the
// AuthTracker's story, also where re-deriving from raw frames told another (a pipelined DONE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthTracker } from '../../src/imap/auth-tracker';
import type { Frame } from '../../src/imap/frame';
import { IdleTracker } from '../../src/imap/idle-tracker';
import { SessionStatsCollector } from '../../src/imap/session-stats';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { modelSteps } from '../imap/session-harness';
import { rechunk, transcript } from '../imap/transcript';

const T0 = 1_700_000_000_000_000;

function run(dialog: string): { frames: Frame[]; model: TuiModel; stats: SessionStatsCollector; idle: IdleTracker; auth: AuthTracker } {
  const frames = modelSteps(rechunk(transcript(dialog), () => []), (i) => T0 + i * 1000).frames;
  const model = new TuiModel({ source: { mode: 'file', title: 'test' }, revealSecrets: false, utc: true, now: () => T0 });
  const stats = new SessionStatsCollector();
  const open = { type: 'session-open', session: { id: 1, startUs: T0, client: 'c:1', upstream: 's:2', listen: 'l:3' } } as const;
  model.handle(open);
  stats.handle(open);
  // The trackers' own account, from the same frames.
  const idle = new IdleTracker();
  const auth = new AuthTracker();
  for (const frame of frames) {
    model.handle({ type: 'frame', frame });
    stats.handle({ type: 'frame', frame });
    idle.observe(frame);
    auth.observe(frame);
  }
  return { frames, model, stats, idle, auth };
}

function bandsAgreeWithTracker(r: ReturnType<typeof run>): void {
  const bands = r.model.store.bands.all.map((b) => ({ tag: b.tag, startUs: b.startUs, endUs: b.endUs, status: b.endedBy, updates: b.updates }));
  const periods = r.idle.periods.map((p) => ({ tag: p.tag, startUs: p.startUs, endUs: p.endUs, status: p.status, updates: p.updates }));
  assert.deepEqual(bands, periods);
  const [s] = r.stats.summaries();
  assert.deepEqual({ periods: s.idle.periods, ended: s.idle.ended, rejected: s.idle.rejected, open: s.idle.open, updates: s.idle.updates }, {
    periods: periods.length,
    ended: r.idle.periods.filter((p) => p.outcome === 'ended').length,
    rejected: r.idle.periods.filter((p) => p.outcome === 'rejected').length,
    open: r.idle.periods.filter((p) => p.outcome === 'open').length,
    updates: periods.reduce((n, p) => n + p.updates, 0),
  });
}

test('a pipelined DONE and re-IDLE: two periods for the tracker, the bands and stats alike', () => {
  const r = run(`
    S: * OK [CAPABILITY IMAP4rev1 IDLE] ready
    C: a1 LOGIN alice secret
    S: a1 OK logged in
    C: a2 SELECT INBOX
    S: * 2 EXISTS
    S: a2 OK [READ-WRITE] selected
    C: a3 IDLE
    S: + idling
    S: * 3 EXISTS
    C: DONE
    C: a4 IDLE
    S: a3 OK IDLE terminated
    S: + idling
    S: * 4 EXISTS
    C: DONE
    S: a4 OK IDLE terminated
  `);
  assert.deepEqual(r.idle.periods.map((p) => [p.tag, p.outcome, p.updates]), [['a3', 'ended', 1], ['a4', 'ended', 1]]);
  bandsAgreeWithTracker(r);
  // Each frame sits in the band of the period the tracker put it in: `a4 IDLE` opens a4's, `a3 OK` closes a3's.
  const store = r.model.store;
  const bandTag = (seq: number): string | undefined => store.band(store.findSeq(1, seq) ?? -1)?.tag;
  assert.deepEqual(r.frames.slice(6).map((f) => bandTag(f.seq)), ['a3', 'a3', 'a3', 'a3', 'a4', 'a3', 'a4', 'a4', 'a4', 'a4']);
  assert.equal(store.bands.openBand(1), undefined);
  const id = r.model.sessions.get(1)?.identity;
  assert.equal(r.auth.authenticated, true);
  assert.deepEqual([id?.user, id?.userState], ['alice', 'ok']);
});

test('a PREAUTH greeting is a login the AuthTracker and the sessions table both see', () => {
  const r = run(`
    S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE] logged in as alice
    C: a1 IDLE
    S: + idling
    C: DONE
    S: a1 OK done
  `);
  assert.equal(r.auth.authenticated, true);
  assert.equal(r.model.sessions.get(1)?.identity.userState, 'ok');
  bandsAgreeWithTracker(r);
});

test('a refused LOGIN, then AUTHENTICATE LOGIN: failed, then the user the SASL decoder read, accepted', () => {
  const b64 = (t: string): string => Buffer.from(t).toString('base64');
  const r = run(`
    S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN] ready
    C: a1 LOGIN bob wrong
    S: a1 NO [AUTHENTICATIONFAILED] no
    C: a2 AUTHENTICATE LOGIN
    S: + ${b64('Username:')}
    C: ${b64('carol')}
    S: + ${b64('Password:')}
    C: ${b64('pw')}
    S: a2 OK welcome
  `);
  const id = r.model.sessions.get(1)?.identity;
  assert.deepEqual([id?.user, id?.userState], ['carol', 'ok']);
  assert.equal(r.auth.authenticated, true);
});
