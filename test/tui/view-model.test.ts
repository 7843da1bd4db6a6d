import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyEvent } from '../../src/imap/events';
import type { Frame } from '../../src/imap/frame';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { handleKey } from '../../src/tui/view-model/key-actions';
import { firstArgument, saslUser } from '../../src/tui/view-model/session-identity';
import { RecentBytes } from '../../src/tui/view-model/recent-bytes';
import { makeFrame, sampleConversation } from './frame-samples';
import { renderScreen } from '../../src/tui/render/screen-layout';

function model(mode: 'live' | 'file' = 'file', nowUs = 0): TuiModel {
  return new TuiModel({ source: { mode, title: 'test' }, revealSecrets: false, utc: true, now: () => nowUs });
}

function open(m: TuiModel, id: number): void {
  m.handle({ type: 'session-open', session: { id, startUs: 1, client: `127.0.0.1:${5000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
}

function feed(m: TuiModel, frames: Frame[]): void {
  for (const frame of frames) m.handle({ type: 'frame', frame });
}

function keys(m: TuiModel, ...list: string[]): void {
  for (const k of list) handleKey(m, k);
}

test('sessions: user after LOGIN OK, mailbox after SELECT OK, TLS per leg, bytes, frames, findings', () => {
  const m = model();
  open(m, 1);
  m.handle({ type: 'tls', session: 1, timeUs: 2, tls: { leg: 'client', version: 'TLSv1.3', cipher: 'x' } });
  m.handle({ type: 'data', session: 1, direction: 'client', timeUs: 3, bytes: Buffer.from('a1 LOGIN alice secret\r\n'), layer: 'wire' });
  m.handle({ type: 'data', session: 1, direction: 'server', timeUs: 3, bytes: Buffer.from('xx'), layer: 'inflated' });
  const conv = sampleConversation(1);
  feed(m, conv.slice(0, 2));
  const s = m.sessions.get(1);
  assert.ok(s);
  assert.equal(s.identity.user, 'alice');
  assert.equal(s.identity.userState, 'pending');
  feed(m, conv.slice(2));
  assert.equal(s.identity.userState, 'ok');
  assert.equal(s.identity.mailbox, 'INBOX');
  assert.deepEqual(s.tls, { client: 'TLSv1.3' });
  assert.deepEqual(s.bytes, { client: 23, server: 0 });
  assert.equal(s.frames, conv.length);
  m.handle({ type: 'finding', session: 1, timeUs: 9, finding: { level: 'info', code: 'c', rfc: 'r', message: 'm' } });
  assert.equal(s.findings, 2);
});

test('sessions: failed SELECT deselects; UNSELECT clears; a NO login is marked failed', () => {
  const m = model();
  let seq = 0;
  const f = (d: 'client' | 'server', k: Frame['kind'], t: string): Frame => makeFrame(3, ++seq, d, k, t);
  feed(m, [f('client', 'command', 'b1 LOGIN "bob smith" pw'), f('server', 'tagged', 'b1 NO bad'),
    f('client', 'command', 'b2 SELECT "Sent Items"'), f('server', 'tagged', 'b2 OK yes')]);
  const s = m.sessions.get(3);
  assert.equal(s?.identity.user, 'bob smith');
  assert.equal(s?.identity.userState, 'failed');
  assert.equal(s?.identity.mailbox, 'Sent Items');
  feed(m, [f('client', 'command', 'b3 SELECT Nope'), f('server', 'tagged', 'b3 NO no such mailbox')]);
  assert.equal(s?.identity.mailbox, undefined);
  feed(m, [f('client', 'command', 'b4 EXAMINE Archive'), f('server', 'tagged', 'b4 OK'), f('client', 'command', 'b5 UNSELECT'), f('server', 'tagged', 'b5 OK')]);
  assert.equal(s?.identity.mailbox, undefined);
});

test('identity helpers: astrings, literals, SASL PLAIN / XOAUTH2 / OAUTHBEARER', () => {
  assert.equal(firstArgument('alice pw'), 'alice');
  assert.equal(firstArgument('"a \\"q\\" b" pw'), 'a "q" b');
  assert.deepEqual(firstArgument('{5}'), { literal: true });
  assert.equal(saslUser('PLAIN', Buffer.from('\0carol\0pw').toString('base64')), 'carol');
  assert.equal(saslUser('xoauth2', Buffer.from('user=dave@x\x01auth=Bearer t\x01\x01').toString('base64')), 'dave@x');
  assert.equal(saslUser('OAUTHBEARER', Buffer.from('n,a=erin,\x01auth=Bearer t\x01\x01').toString('base64')), 'erin');
  assert.equal(saslUser('PLAIN', '='), undefined);
  const m = model();
  feed(m, [makeFrame(4, 1, 'client', 'command', `c1 AUTHENTICATE PLAIN ${Buffer.from('\0frank\0pw').toString('base64')}`),
    makeFrame(4, 2, 'server', 'tagged', 'c1 OK')]);
  assert.equal(m.sessions.get(4)?.identity.user, 'frank');
});

test('IDLE bands: from IDLE to its tagged response; an open one ends at session close; IDLE now', () => {
  const m = model('live', 1_700_000_000_000_000 + 60_000_000);
  const conv = sampleConversation(1);
  feed(m, conv.slice(0, 9)); // up to * 4 EXISTS during IDLE
  const open = m.store.bands.openBand(1);
  assert.ok(open);
  assert.equal(open.tag, 'a3');
  assert.equal(open.updates, 1);
  assert.equal(m.store.band(m.store.findSeq(1, 9) ?? -1)?.tag, 'a3');
  assert.equal(m.store.band(m.store.findSeq(1, 6) ?? -1), undefined);
  feed(m, conv.slice(9));
  assert.equal(m.store.bands.openBand(1), undefined);
  assert.equal(open.endedBy, 'OK');
  assert.equal(open.endIndex, m.store.findSeq(1, 11));
  assert.equal(m.store.band(m.store.findSeq(1, 12) ?? -1), undefined);
  // An IDLE cut off by the connection's end.
  feed(m, [makeFrame(1, 17, 'client', 'command', 'a6 IDLE')]);
  m.handle({ type: 'session-close', session: 1, timeUs: 5, end: { by: 'client-closed' }, bytes: { client: 1, server: 2 }, frames: 17 });
  const last = m.store.bands.all[m.store.bands.all.length - 1];
  assert.equal(last.endedBy, 'closed');
  assert.equal(m.sessions.get(1)?.closed?.end.by, 'client-closed');
});

test('pairs: a tagged response and its command find each other', () => {
  const m = model();
  feed(m, sampleConversation(1));
  const cmd = m.store.findSeq(1, 12) ?? -1;
  const resp = m.store.findSeq(1, 14) ?? -1;
  assert.equal(m.store.paired(resp), cmd);
  assert.equal(m.store.paired(cmd), resp);
});

test('frames screen: Enter opens a session, filter narrows, follow keeps the newest frame, search with n/N', () => {
  const m = model('live');
  open(m, 1);
  open(m, 2);
  feed(m, sampleConversation(1));
  feed(m, sampleConversation(2).slice(0, 3));
  keys(m, 'j', 'enter');
  assert.equal(m.screen, 'frames');
  assert.equal(m.frames?.session, 2);
  assert.equal(m.frames?.rows.length, 3);
  assert.equal(m.frames?.following, true);
  assert.equal(m.frames?.cursor.cursor, 2);
  feed(m, sampleConversation(2).slice(3, 5));
  assert.equal(m.frames?.cursor.cursor, 4, 'following moves to the newest frame');
  keys(m, 'k');
  assert.equal(m.frames?.following, false);
  feed(m, sampleConversation(2).slice(5));
  assert.equal(m.frames?.cursor.cursor, 3, 'not following: the cursor stays');
  keys(m, 'F');
  assert.equal(m.frames?.cursor.cursor, 15);
  // Filter typed at the prompt.
  keys(m, 'f', ...'~dir c & ~idle', 'enter');
  assert.equal(m.filter?.source, '~dir c & ~idle');
  assert.deepEqual(m.frames?.rows.map((i) => m.store.frame(i).seq), [7, 10]);
  // A bad filter leaves the old one and reports the column.
  keys(m, 'f', 'backspace', 'backspace', 'backspace', 'backspace', 'backspace', '(', 'enter');
  assert.equal(m.message?.error, true);
  assert.match(m.message?.text ?? '', /column 11/);
  assert.equal(m.filter?.source, '~dir c & ~idle');
  keys(m, 'f');
  m.prompt = { kind: 'filter', text: '' };
  keys(m, 'enter');
  assert.equal(m.filter, undefined);
  assert.equal(m.frames?.rows.length, 16);
  keys(m, 'g', '/', ...'exists', 'enter');
  assert.equal(m.store.frame(m.frames?.selected ?? -1).seq, 5);
  keys(m, 'n');
  assert.equal(m.store.frame(m.frames?.selected ?? -1).seq, 9);
  keys(m, 'n');
  assert.equal(m.store.frame(m.frames?.selected ?? -1).seq, 5, 'search wraps around');
  keys(m, 'N');
  assert.equal(m.store.frame(m.frames?.selected ?? -1).seq, 9);
  keys(m, '/', ...'nothing-like-this', 'enter');
  assert.match(m.message?.text ?? '', /not found/);
  keys(m, 'escape');
  assert.equal(m.screen, 'sessions');
});

test('filter on the sessions screen opens all sessions\' frames; ~s picks one', () => {
  const m = model();
  feed(m, sampleConversation(1));
  feed(m, sampleConversation(2));
  keys(m, 'f', ...'~s 2 & ~status NO', 'enter');
  assert.equal(m.screen, 'frames');
  assert.equal(m.frames?.session, undefined);
  assert.deepEqual(m.frames?.rows.map((i) => [m.store.frame(i).session, m.store.frame(i).seq]), [[2, 16]]);
});

test('detail: Enter opens, Tab focuses, x toggles hex, Esc closes then goes back; bytes load lazily', async () => {
  let reads = 0;
  const m = new TuiModel({ source: { mode: 'file', title: 'f' }, revealSecrets: false, utc: true, now: () => 0,
    bytes: { read: (_s, _d, ranges) => { reads += 1; return Promise.resolve(ranges.map((r) => Buffer.alloc(Math.min(r.length, 8), 0x41))); } } });
  feed(m, sampleConversation(1));
  keys(m, 'enter', 'G', 'enter');
  assert.equal(m.detail?.index, m.store.findSeq(1, 16));
  assert.equal(reads, 0, 'no literal, no read');
  keys(m, 'k', 'k', 'k');
  assert.equal(m.store.frame(m.detail?.index ?? -1).seq, 13, 'the detail follows the cursor');
  assert.equal(m.detail?.loading, true);
  await new Promise((r) => setImmediate(r));
  assert.equal(reads, 1);
  assert.deepEqual(m.detail?.bytes[1], Buffer.alloc(8, 0x41));
  keys(m, 'tab');
  assert.equal(m.focus, 'detail');
  keys(m, 'x');
  assert.equal(m.hex, true);
  keys(m, 'escape');
  assert.equal(m.detail, undefined);
  assert.equal(m.screen, 'frames');
  keys(m, 'q');
  assert.equal(m.screen, 'sessions');
  assert.equal(handleKey(m, 'Q'), 'quit');
  assert.equal(handleKey(m, 'C-c'), 'quit');
});

test('pause holds events and applies them on resume; help opens and closes', () => {
  const m = model('live');
  keys(m, 'p');
  feed(m, sampleConversation(1));
  assert.equal(m.store.size, 0);
  assert.equal(m.heldCount, 16);
  keys(m, 'p');
  assert.equal(m.store.size, 16);
  keys(m, '?');
  assert.equal(m.help, true);
  keys(m, 'j', 'escape');
  assert.equal(m.help, false);
});

test('100,000 frames: filtering and searching stay linear and the cursor reaches the end', () => {
  const m = model();
  const events: ProxyEvent[] = [];
  for (let i = 0; i < 50_000; i++) {
    events.push({ type: 'frame', frame: makeFrame(1, 2 * i + 1, 'client', 'command', `t${i} NOOP`) });
    events.push({ type: 'frame', frame: makeFrame(1, 2 * i + 2, 'server', 'tagged', `t${i} OK done`) });
  }
  for (const e of events) m.handle(e);
  keys(m, 'enter', 'G');
  assert.equal(m.frames?.cursor.cursor, 99_999);
  keys(m, 'g', '/', ...'t49999 OK', 'enter');
  assert.equal(m.frames?.cursor.cursor, 99_999);
  keys(m, 'f', ...'~dir s & /t4999\\d OK/', 'enter');
  assert.equal(m.frames?.rows.length, 10);
});

test('recent bytes: ranges come back from the ring, dropped ones empty', async () => {
  const ring = new RecentBytes(10);
  const data = (s: string): ProxyEvent => ({ type: 'data', session: 1, direction: 'server', timeUs: 0, bytes: Buffer.from(s), layer: 'wire' });
  ring.handle(data('0123456'));
  ring.handle(data('789ab'));
  assert.deepEqual((await ring.read(1, 'server', [{ offset: 5, length: 4 }])).map(String), ['5678']);
  ring.handle(data('cdefgh')); // drops the first chunk
  const [dropped, kept, short] = await ring.read(1, 'server', [{ offset: 0, length: 3 }, { offset: 8, length: 6 }, { offset: 16, length: 9 }]);
  assert.equal(dropped.length, 0);
  assert.equal(kept.toString(), '89abcd');
  assert.equal(short.toString(), 'gh');
  assert.deepEqual((await ring.read(2, 'server', [{ offset: 0, length: 1 }]))[0].length, 0);
});

test('a capture still being read: the status line says how far, an empty list says it is reading, not that there are no sessions', () => {
  const m = model('file');
  const screen = (): string => renderScreen(m, 100, 20).lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
  m.loading = { read: 400, total: 1000 };
  assert.match(screen(), /loading 40%/);
  assert.match(screen(), /reading the capture…/);
  assert.doesNotMatch(screen(), /no sessions in this capture|\| loaded/);
  m.loading = undefined;
  assert.match(screen(), /\| loaded/);
  assert.match(screen(), /no sessions in this capture/);
});
