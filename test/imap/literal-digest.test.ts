// The literal digest is off the forwarding path (issue 10): the framer leaves it empty by default,
// and the readers that show or compare it compute it from the bytes they hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DEFAULT_LIMITS, DirectionFramer, type RawSegment } from '../../src/imap/direction-framer';
import type { Frame, LiteralInfo } from '../../src/imap/frame';
import { NORMALISED_LITERAL_MAX, responseLines } from '../../src/replay/response-diff';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { handleKey } from '../../src/tui/view-model/key-actions';
import { detailLines } from '../../src/tui/render/detail-render';
import { makeFrame } from '../tui/frame-samples';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function literalsOf(bytes: Buffer, limits = DEFAULT_LIMITS): LiteralInfo[] {
  const segments: RawSegment[] = [];
  const framer = new DirectionFramer('server', { gateLiteral: () => 'inline', segment: (s) => { segments.push(s); } }, limits);
  let rest = bytes;
  while (rest.length > 0) rest = rest.subarray(framer.push(rest, 0));
  return segments.flatMap((s) => s.parts.flatMap((p) => (p.type === 'literal' ? [p.literal] : [])));
}

const body = Buffer.from('Subject: hi\r\n\r\nhello\r\n');
const response = Buffer.concat([Buffer.from(`* 1 FETCH (BODY[] {${body.length}}\r\n`), body, Buffer.from(')\r\n')]);

test('the default framer (the proxy\'s forwarding path) does not digest literal bodies', () => {
  assert.equal(DEFAULT_LIMITS.literalDigest, 'none');
  const [lit] = literalsOf(response);
  assert.equal(lit.received, body.length);
  assert.equal(lit.sha256, '', 'no SHA-256 while forwarding');
});

test('a framer asked for digests (the replay\'s live side) still computes them', () => {
  const [lit] = literalsOf(response, { ...DEFAULT_LIMITS, literalDigest: 'sha256' });
  assert.equal(lit.sha256, sha(body));
});

test('replay compares a big recorded literal without a recorded digest by the digest of its bytes', () => {
  const size = NORMALISED_LITERAL_MAX + 1;
  const big = Buffer.alloc(size, 0x61);
  const head = Buffer.from(`* 1 FETCH (BODY[] {${size}}\r\n`);
  const bytes = Buffer.concat([head, big, Buffer.from(')\r\n')]);
  const recorded = literalsOf(bytes);
  const live = literalsOf(bytes, { ...DEFAULT_LIMITS, literalDigest: 'sha256' });
  assert.equal(recorded[0].sha256, '');
  const frameWith = (lit: LiteralInfo): Frame => ({
    ...makeFrame(1, 1, 'server', 'untagged', head.toString('latin1').trimEnd()), length: bytes.length,
    parts: [{ type: 'line', line: { text: head.toString('latin1').trimEnd(), length: head.length, offset: 0, truncated: false, ending: 'crlf' } },
      { type: 'literal', literal: lit },
      { type: 'line', line: { text: ')', length: 3, offset: head.length + size, truncated: false, ending: 'crlf' } }],
  });
  const fromCapture = responseLines(frameWith(recorded[0]), bytes, new Set());
  const fromLive = responseLines(frameWith(live[0]), undefined, new Set());
  assert.deepEqual(fromCapture, fromLive);
  assert.match(fromCapture.join('\n'), new RegExp(sha(big).slice(0, 16)));
});

test('the TUI detail shows the SHA-256 of a literal computed from the loaded bytes', async () => {
  const stored = Buffer.alloc(8, 0x41);
  const m = new TuiModel({ source: { mode: 'file', title: 'f' }, revealSecrets: false, utc: true, now: () => 0,
    bytes: { read: (_s, _d, ranges) => Promise.resolve(ranges.map((r) => stored.subarray(0, r.length))) } });
  m.handle({ type: 'frame', frame: makeFrame(1, 1, 'server', 'untagged', '* 1 FETCH (BODY[] {8}', { literals: [8] }) });
  for (const k of ['enter', 'G', 'enter']) handleKey(m, k);
  await new Promise((r) => setImmediate(r));
  const text = detailLines(m, 200).join('\n');
  assert.match(text, new RegExp(`sha256 ${sha(stored).slice(0, 16)}`));
});
