import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carriesCapabilities, hideCapabilities } from '../../src/lab/capability-hiding';
import { DOVECOT_IDLE_SESSION, DOVECOT_SESSION } from './dovecot-transcripts';
import { framesWithBytes, reframe, type FramedBytes } from './framed';
import { transcript } from '../imap/transcript';

const session = framesWithBytes(DOVECOT_SESSION);
const idleSession = framesWithBytes(DOVECOT_IDLE_SESSION);
const HIDE = new Set(['IDLE', 'COMPRESS=DEFLATE', 'LITERAL+', 'CONDSTORE']);

function hidden(f: FramedBytes, names: ReadonlySet<string> = HIDE): string | undefined {
  const r = hideCapabilities(f.frame, f.bytes, names);
  if (!r) return undefined;
  const again = reframe('server', r.bytes);
  assert.ok(again.complete && again.frames.length === 1, 'still one well-framed server frame');
  assert.equal(again.frames[0].kind, f.frame.kind === 'greeting' ? 'untagged' : f.frame.kind);
  return r.bytes.toString('latin1');
}

test('Dovecot greeting, CAPABILITY responses, tagged [CAPABILITY] code and ENABLED lose the hidden names, nothing else', () => {
  const rewritten = [...session, ...idleSession].map((f) => hidden(f)).filter((t): t is string => t !== undefined);
  assert.deepEqual(rewritten.map((t) => t.slice(0, 40)), [
    '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN',
    '* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REF',
    '* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REF',
    '* ENABLED\r\n',
    '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN',
    'a1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGI',
  ]);
  assert.equal(rewritten[0], '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n');
  assert.equal(rewritten[1], '* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE STARTTLS AUTH=PLAIN AUTH=LOGIN\r\n');
  for (const t of rewritten) assert.doesNotMatch(t, / (IDLE|COMPRESS=DEFLATE|LITERAL\+|CONDSTORE)[ \]\r]/, t);
  assert.match(rewritten[2], / QRESYNC ESEARCH /, 'the names next to a hidden one stay');
  assert.match(rewritten[5], /\] Logged in\r\n$/);
});

test('what lies outside the list is byte for byte the same: the prefix up to the list and the rest after it', () => {
  const tagged = idleSession.find((f) => f.frame.kind === 'tagged' && f.frame.tag === 'a1');
  assert.ok(tagged);
  const out = hidden(tagged);
  assert.ok(out);
  const before = tagged.bytes.toString('latin1');
  const listEnd = before.indexOf(']');
  assert.equal(out.slice(out.indexOf(']')), before.slice(listEnd));
  assert.equal(out.slice(0, 'a1 OK [CAPABILITY '.length), before.slice(0, 'a1 OK [CAPABILITY '.length));
  assert.equal(before.length - out.length, ' IDLE CONDSTORE LITERAL+ COMPRESS=DEFLATE'.length);
});

test('names compare case-insensitively; frames without the names or without a capability list give undefined', () => {
  const greeting = session[0];
  assert.match(hidden(greeting, new Set(['AUTH=PLAIN'])) ?? '', /STARTTLS AUTH=LOGIN\]/);
  const lower = framesWithBytes(transcript('S: * OK [capability imap4rev1 idle Idle2] hi'))[0];
  assert.equal(hidden(lower, new Set(['IDLE'])), '* OK [capability imap4rev1 Idle2] hi\r\n', 'IDLE2 is another name');
  assert.equal(hidden(greeting, new Set(['XYZZY'])), undefined);
  const others = [...session, ...idleSession].filter((f) => !carriesCapabilities(f.frame));
  assert.ok(others.length > 20);
  for (const f of others) assert.equal(hideCapabilities(f.frame, f.bytes, new Set(['IDLE', 'OK', 'FETCH', 'SUBJECT:'])), undefined);
});

test('every place a capability list can be: PREAUTH, untagged OK, tagged NO, ENABLED; an empty list is left empty', () => {
  const framed = framesWithBytes(transcript(`
    S: * PREAUTH [CAPABILITY IMAP4rev1 IDLE] welcome
    C: a ENABLE UTF8=ACCEPT
    S: * ENABLED UTF8=ACCEPT
    S: * OK [CAPABILITY IMAP4rev1 IDLE]
    S: a NO [CAPABILITY IDLE] no
    C: b CAPABILITY
    S: * CAPABILITY IDLE
    S: * CAPABILITY   IMAP4rev1   IDLE  `));
  const names = new Set(['IDLE', 'UTF8=ACCEPT']);
  assert.deepEqual(framed.filter((f) => f.frame.direction === 'server').map((f) => hidden(f, names)), [
    '* PREAUTH [CAPABILITY IMAP4rev1] welcome\r\n',
    '* ENABLED\r\n',
    '* OK [CAPABILITY IMAP4rev1]\r\n',
    'a NO [CAPABILITY] no\r\n',
    '* CAPABILITY\r\n',
    '* CAPABILITY   IMAP4rev1  \r\n',
  ]);
});

test('a FETCH whose body mentions CAPABILITY is not a capability response', () => {
  const framed = framesWithBytes(transcript(`
    S: * OK ready
    C: a FETCH 1 BODY[]
    S: * 1 FETCH (BODY[] {29}
    S: * CAPABILITY IMAP4rev1 IDLE
    S: )
    S: a OK done`));
  for (const f of framed) assert.equal(hideCapabilities(f.frame, f.bytes, new Set(['IDLE'])), undefined);
});
