import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationFramer } from '../../src/imap/conversation-framer';
import { DEFAULT_LIMITS } from '../../src/imap/direction-framer';
import type { Frame } from '../../src/imap/frame';
import { commandKey, framePieces, liveFramePieces, piecesMatch, type CommandPiece } from '../../src/replay/command-matcher';

const line = (text: string): CommandPiece => ({ line: text });
const literal = (text: string): CommandPiece => ({ literal: Buffer.from(text) });

test('the tag never counts; everything after it does under exact', () => {
  assert.ok(piecesMatch([line('a1 SELECT INBOX')], [line('X9 SELECT INBOX')], 'exact', true));
  assert.ok(!piecesMatch([line('a1 SELECT INBOX')], [line('a1 SELECT Inbox')], 'exact', true));
  assert.ok(!piecesMatch([line('a1 FETCH 1 FLAGS')], [line('a1 FETCH 2 FLAGS')], 'exact', true));
});

test('continuations keep their first word', () => {
  assert.ok(!piecesMatch([line('alice {6}')], [line('bobby {6}')], 'exact', false));
  assert.equal(commandKey([line('alice {6}')], 'exact', false), 'alice {6}');
});

test('ignore-literals drops literal contents and sizes, exact does not', () => {
  const a = [line('a1 APPEND INBOX {5+}'), literal('hello'), line('')];
  const b = [line('a7 APPEND INBOX {11+}'), literal('other thing'), line('')];
  assert.ok(!piecesMatch(a, b, 'exact', true));
  assert.ok(piecesMatch(a, b, 'ignore-literals', true));
  assert.ok(!piecesMatch(a, [line('a7 APPEND Sent {11+}'), literal('other thing'), line('')], 'ignore-literals', true));
});

test('ignore-sequence-numbers replaces whole sequence sets only', () => {
  assert.ok(piecesMatch([line('a FETCH 1:* (FLAGS)')], [line('b FETCH 3,5:7 (FLAGS)')], 'ignore-sequence-numbers', true));
  assert.ok(piecesMatch([line('a UID STORE 42 +FLAGS (\\Seen)')], [line('b UID STORE 7 +FLAGS (\\Seen)')], 'ignore-sequence-numbers', true));
  assert.equal(commandKey([line('a FETCH 1 (BODY[1.2]<0.10> RFC822.SIZE)')], 'ignore-sequence-numbers', true), 'FETCH # (BODY[1.2]<0.10> RFC822.SIZE)');
  assert.equal(commandKey([line('a LOGIN {5}')], 'ignore-sequence-numbers', true), 'LOGIN {5}');
  assert.ok(!piecesMatch([line('a FETCH 1 (FLAGS)')], [line('b FETCH 1 (UID)')], 'ignore-sequence-numbers', true));
});

test('a live frame (framer text and digests) and the same recorded bytes give the same key, long lines cut alike', () => {
  const limits = { ...DEFAULT_LIMITS, linePreviewBytes: 16, literalDigest: 'sha256' as const }; // as the replay's live side (LIVE_LIMITS)
  const stream = Buffer.from(`a1 SEARCH UID ${'1,'.repeat(40)}1\r\na2 APPEND Sent {5+}\r\nhello\r\na3 NOOP\r\n`);
  const frames: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { frames.push(f); }, limits);
  framer.push('server', Buffer.from('* OK ready\r\n'), 0);
  framer.push('client', stream, 0);
  const client = frames.filter((f) => f.direction === 'client');
  assert.equal(client.length, 3);
  for (const f of client) {
    const bytes = stream.subarray(f.offset, f.offset + f.length);
    for (const rule of ['exact', 'ignore-literals', 'ignore-sequence-numbers'] as const) {
      assert.equal(commandKey(liveFramePieces(f), rule, true), commandKey(framePieces(f, bytes, 16), rule, true), `${f.tag} ${rule}`);
    }
  }
  assert.match(commandKey(liveFramePieces(client[0]), 'exact', true), /«[0-9]+ more bytes»$/);
  // A long line that differs only after the kept start still differs by its length.
  const longer = { line: 'a1 SEARCH UID 1,', cutBytes: 70 };
  assert.ok(!piecesMatch(liveFramePieces(client[0]), [longer], 'exact', true));
});
