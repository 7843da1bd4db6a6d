import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationFramer } from '../../src/imap/conversation-framer';
import type { Frame } from '../../src/imap/frame';
import { checkHookResult, type ScriptAction } from '../../src/lab/script-actions';

function one(value: unknown): ScriptAction {
  const r = checkHookResult(value);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(r.actions.length, 1);
  return r.actions[0];
}

function wire(value: unknown): string {
  const a = one(value);
  assert.ok(a.kind === 'replace' || a.kind === 'inject');
  return a.bytes.toString('latin1');
}

function reason(value: unknown): string {
  const r = checkHookResult(value);
  assert.ok(!r.ok, 'should be refused');
  return r.reason;
}

/** The frames the real framer makes of server bytes. */
function serverFrames(bytes: string): Frame[] {
  const frames: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { frames.push(f); });
  framer.push('server', Buffer.from(bytes, 'latin1'), 0);
  framer.end('server', 0);
  return frames;
}

test('nothing, null and [] mean forward', () => {
  for (const v of [undefined, null, []]) assert.deepEqual(checkHookResult(v), { ok: true, actions: [] });
});

test('text: lines with CRLF whatever the script wrote between them', () => {
  assert.equal(wire({ action: 'replace', text: '* OK hi' }), '* OK hi\r\n');
  assert.equal(wire({ action: 'inject', text: '* OK a\n* OK b\r\n' }), '* OK a\r\n* OK b\r\n');
  assert.equal(wire({ action: 'inject', text: '* OK ünïcode' }), '* OK \u00c3\u00bcn\u00c3\u00afcode\r\n', 'UTF-8 on the wire');
});

test('parts: literal counts follow the bodies, whatever the line announced', () => {
  const bytes = wire({ action: 'replace', parts: ['* 1 FETCH (BODY[] {999}', { literal: 'Subject: hi\r\n\r\nchanged body\r\n' }, ' FLAGS (\\Seen))'] });
  assert.equal(bytes, '* 1 FETCH (BODY[] {29}\r\nSubject: hi\r\n\r\nchanged body\r\n FLAGS (\\Seen))\r\n');
  const frames = serverFrames(bytes);
  assert.equal(frames.length, 1, 'one well-framed response');
  assert.deepEqual(frames[0].parts.map((p) => (p.type === 'literal' ? `{${p.literal.size}/${p.literal.received}}` : p.line.text)),
    ['* 1 FETCH (BODY[] {29}', '{29/29}', ' FLAGS (\\Seen))']);
  assert.equal(wire({ action: 'replace', parts: ['* 1 FETCH (BODY[] ', { literal: Buffer.from([0, 1, 2]) }, ')'] }), '* 1 FETCH (BODY[] {3}\r\n\x00\x01\x02)\r\n', 'announcement written when missing');
  assert.equal(wire({ action: 'inject', to: 'server', parts: ['a1 APPEND INBOX {+}', { literal: 'abc' }, ''] }), 'a1 APPEND INBOX {3+}\r\nabc\r\n', 'LITERAL+ form kept');
  assert.equal(wire({ action: 'replace', parts: ['* 1 FETCH (BINARY[1] ~{}', { literal: 'xy' }, ' BODY[2] {0}', { literal: '' }, ')'] }), '* 1 FETCH (BINARY[1] ~{2}\r\nxy BODY[2] {0}\r\n)\r\n');
});

test('bytes: exactly these', () => {
  assert.equal(wire({ action: 'replace', bytes: Buffer.from('* OK no CRLF') }), '* OK no CRLF');
  assert.equal(wire({ action: 'replace', bytes: new Uint8Array([0x2a, 0x0d, 0x0a]) }), '*\r\n');
});

test('refused content', () => {
  assert.match(reason({ action: 'replace', parts: [{ literal: 'x' }] }), /part 1: a literal must follow a line/);
  assert.match(reason({ action: 'replace', parts: ['a', { literal: 'x' }, { literal: 'y' }] }), /part 3: a literal must follow a line/);
  assert.match(reason({ action: 'replace', parts: ['a\r\nb'] }), /part 1: a line must not contain CR or LF/);
  assert.match(reason({ action: 'replace', parts: ['a', { literal: 5 }] }), /part 2: literal must be a string or a Buffer \(got 5\)/);
  assert.match(reason({ action: 'replace', parts: ['a', { literal: 'x', size: 1 }] }), /part 2: a literal part has only 'literal'/);
  assert.match(reason({ action: 'replace', parts: [] }), /parts must be a non-empty array/);
  assert.match(reason({ action: 'replace', text: '' }), /'replace' with nothing: use \{ action: 'drop' \}/);
  assert.match(reason({ action: 'replace' }), /needs exactly one of text, parts or bytes/);
  assert.match(reason({ action: 'inject', text: 5 }), /'inject' text must be a string \(got 5\)/);
  assert.match(reason({ action: 'replace', bytes: 'str' }), /bytes must be a Buffer or Uint8Array/);
  assert.match(reason({ action: 'replace', text: 'x'.repeat(17 * 1024 * 1024) }), /makes 17825794 bytes \(at most 16777216\)/);
});

test('numbers and sides are checked', () => {
  assert.deepEqual(one({ action: 'delay', ms: 1.6 }), { kind: 'delay', ms: 2 });
  assert.deepEqual(one({ action: 'reset' }), { kind: 'reset', side: 'both' });
  assert.deepEqual(one({ action: 'close', side: 'client' }), { kind: 'close', side: 'client' });
  assert.match(reason({ action: 'delay', ms: NaN }), /got null/);
  assert.match(reason({ action: 'delay', ms: 86_400_001 }), /from 0 to 86400000/);
  assert.match(reason({ action: 'delay', ms: '5' }), /got "5"/);
  assert.match(reason({ action: 'slice', bytes: 0 }), /'slice' needs bytes: a positive integer \(got 0\)/);
  assert.match(reason({ action: 'slice', bytes: 1.5 }), /positive integer/);
  assert.match(reason({ action: 'throttle', rate: 5 }), /'throttle' needs bytesPerSecond/);
  assert.match(reason({ action: 'close', side: 'upstream' }), /side must be 'client', 'server' or 'both' \(got "upstream"\)/);
  assert.match(reason(new Array(101).fill({ action: 'drop' })), /returned 101 actions \(at most 100\)/);
  assert.match(reason({ action: 'drop', '\x1b[2J': 1 }), /unknown property '\\x1b\[2J'/, 'escaped: no terminal control from a script');
});
