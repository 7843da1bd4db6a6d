// Issue 9 item 11, unit level: the masking module every output passes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationFramer } from '../../src/imap/conversation-framer';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import { MASK, maskBytes, maskClientBytes, maskLineText, secretRanges, type SecretRange } from '../../src/imap/secret-mask';

const LIMITS = { linePreviewBytes: 64, literalPreviewBytes: 16 };

function frames(client: string, server = '', limits = LIMITS): Frame[] {
  const out: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { out.push(f); }, limits);
  framer.push('client', Buffer.from(client, 'latin1'), 0);
  if (server) framer.push('server', Buffer.from(server, 'latin1'), 0);
  framer.end('client', 0);
  return out;
}

test('client bytes quoted in a finding: LOGIN passwords, SASL lines and secret literals masked, the rest as sent', () => {
  const cases: Array<[string, string]> = [
    ['A2 NOOP\r\n', 'A2 NOOP\r\n'],
    ['b LOGIN carol PASSWORD\r\nc NOOP\r\n', `b LOGIN carol ${MASK}\r\nc NOOP\r\n`],
    ['b LOGIN carol "pass word"\r\n', `b LOGIN carol ${MASK}\r\n`],
    ['b AUTHENTICATE PLAIN\r\nAGNhcm9sAHB3\r\n', `b AUTHENTICATE PLAIN\r\n${MASK}\r\n`],
    ['b AUTHENTICATE PLAIN AGNhcm9sAHB3\r\n', `b AUTHENTICATE PLAIN ${MASK}\r\n`],
    ['b LOGIN {5}\r\ncarol {6}\r\nsecret\r\n', 'b LOGIN {5}\r\ncarol {6}\r\n******\r\n'],
    ['b LOGIN carol PASSW', `b LOGIN carol ${MASK}`],
  ];
  for (const [sent, shown] of cases) assert.equal(maskClientBytes(Buffer.from(sent, 'latin1')).toString('latin1'), shown, sent);
});

test('a LOGIN whose user name is longer than the text kept: the password beyond it is masked in text and in bytes', () => {
  const sent = `a1 LOGIN ${'u'.repeat(200)} Pa55word {3}\r\nxyz\r\n`;
  const all = frames(sent);
  const frame = all[0];
  assert.ok(frame);
  assert.equal(frame.parts[0]?.type === 'line' && frame.parts[0].line.truncated, true);
  assert.ok(frame.secrets.length > 0, 'no secret span');
  assert.match(frameText(frame, { revealSecrets: false }), /\*{8}… \[line of/);
  const masked = maskBytes(Buffer.from(sent, 'latin1'), 0, all.flatMap(secretRanges)).toString('latin1');
  assert.ok(!masked.includes('Pa55word'), masked);
  assert.ok(!masked.includes('xyz'), 'the literal after the unseen part is not masked');
  // The TUI's detail reads the whole line: masked to its end as well.
  const part = frame.parts[0];
  assert.ok(part?.type === 'line');
  const full = sent.slice(0, sent.indexOf('\r\n'));
  assert.ok(!maskLineText(full, frame.secrets.filter((s) => s.part === 0), part.line).includes('Pa55word'));
});

test('a SASL response sent after the server ended AUTHENTICATE is masked, not shown as unparsed text', () => {
  const out: Frame[] = [];
  const framer = new ConversationFramer(1, (f) => { out.push(f); }, LIMITS);
  framer.push('client', Buffer.from('a AUTHENTICATE PLAIN\r\n'), 0);
  framer.push('server', Buffer.from('* OK hi\r\na NO [PRIVACYREQUIRED] no\r\n'), 0);
  framer.push('client', Buffer.from('AGNhcm9sAHNlY3JldA==\r\nb NOOP\r\n'), 0);
  const late = out.find((f) => f.direction === 'client' && f.kind === 'unparsed');
  assert.ok(late, 'no unparsed frame');
  assert.equal(frameText(late, { revealSecrets: false }), MASK);
  assert.equal(frameText(out[out.length - 1] as Frame, { revealSecrets: false }), 'b NOOP');
});

test('maskBytes: one fixed mask for a line secret split across chunks, same length for a literal', () => {
  const ranges: SecretRange[] = [{ start: 4, end: 14, sameLength: false }, { start: 20, end: 24, sameLength: true }];
  const stream = Buffer.from('abc PASSWORD12 xyz\r\nLITE\r\n', 'latin1');
  const whole = maskBytes(stream, 0, ranges).toString('latin1');
  assert.equal(whole, `abc ${MASK} xyz\r\n****\r\n`);
  const split = [0, 7, 9, 22].map((at, i, all) => maskBytes(stream.subarray(at, all[i + 1] ?? stream.length), at, ranges).toString('latin1')).join('');
  assert.equal(split, whole);
});
