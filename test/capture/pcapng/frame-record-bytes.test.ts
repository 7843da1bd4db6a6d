// writeFrameRecord encodes the frame record's JSON by hand, into bytes (issue 10: the writer's
// hottest step). It must give JSON.stringify(frameRecord(f)) for every frame: those of every fixture, and crafted
// ones with every part, secret and annotation shape, text that needs escaping, and the odd values
// a frame converted from a hand-edited capture can carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../../src/imap/frame';
import { frameRecord, writeFrameRecord } from '../../../src/capture/pcapng/metadata-records';
import { RecordBytes } from '../../../src/capture/pcapng/record-bytes';
import { FIXTURE_NAMES, JSONL_FIXTURE_NAMES, fixtureEvents } from './pcapng-support';

// A small first buffer, so that growing it is part of every test; one reused, as the writer does.
const out = new RecordBytes(16);
const same = (f: Frame, what: string): void => {
  out.reset();
  out.ascii('x');
  writeFrameRecord(f, out);
  assert.equal(out.bytes.toString('utf8'), `x${JSON.stringify(frameRecord(f))}`, what);
};

test('writeFrameRecord gives JSON.stringify(frameRecord(f)) for every frame of every fixture', async () => {
  let frames = 0;
  for (const name of new Set([...FIXTURE_NAMES, ...JSONL_FIXTURE_NAMES])) {
    for (const e of await fixtureEvents(name)) {
      if (e.type !== 'frame') continue;
      same(e.frame, `${name} frame ${e.frame.seq}`);
      frames++;
    }
  }
  assert.ok(frames > 100, `${frames} frames`);
});

test('writeFrameRecord gives JSON.stringify(frameRecord(f)) for every shape, escapes included, and for odd values', () => {
  const base: Frame = {
    session: 7, seq: 3, direction: 'client', kind: 'command', timeUs: 1795413549841388, endUs: 1795413549841999, offset: 10, length: 40,
    tag: 'a"1\\', verb: 'LOGIN',
    parts: [
      { type: 'line', line: { text: 'a1 LOGIN "x\\"y" {5}\u0000\u001f\u007f ünï ✓ \ud800', length: 30, offset: 10, truncated: true, ending: 'lf' } },
      { type: 'literal', literal: { size: 5, received: 4, form: 'non-sync-plus', binary: true, offset: 40, sha256: '', preview: '*****' } },
      { type: 'line', line: { text: '', length: 0, offset: 45, truncated: false, ending: 'none' } },
    ],
    secrets: [{ part: 0, start: 9, end: 14 }, { part: 1, literal: true }],
    annotations: [
      { kind: 'pair', commandSeq: 2, command: 'LO"GIN', latencyUs: 0 },
      { kind: 'finding', finding: { level: 'warning', code: 'c', rfc: 'RFC 3501', message: 'm "q"\n' } },
      { kind: 'note', text: 'n\t' },
    ],
  };
  same(base, 'every shape');
  same({ ...base, tag: undefined, verb: undefined, parts: [], secrets: [], annotations: [] }, 'no tag, verb, parts, secrets or annotations');
  same({ ...base, direction: 'server', kind: 'tagged' }, 'server');
  // What a frame read from a hand-edited capture may hold: JSON.stringify's rules decide.
  const odd = (patch: Record<string, unknown>, linePatch: Record<string, unknown> = {}, pairPatch: Record<string, unknown> = {}): Frame => ({
    ...base, ...patch,
    parts: [{ type: 'line', line: { ...(base.parts[0] as { line: object }).line, ...linePatch } }] as unknown as Frame['parts'],
    annotations: [{ ...base.annotations[0], ...pairPatch }] as unknown as Frame['annotations'],
  } as Frame);
  same(odd({ seq: Number.NaN }), 'NaN seq');
  same(odd({ offset: undefined }), 'no offset');
  same(odd({}, { offset: undefined }), 'line without offset');
  same(odd({}, { length: Number.POSITIVE_INFINITY }), 'infinite line length');
  same(odd({}, { text: undefined }), 'line without text');
  same(odd({}, { ending: 'x"y' }), 'odd ending');
  same(odd({}, {}, { latencyUs: undefined }), 'pair without latency');
  same(odd({}, {}, { command: 5 }), 'pair with a number for command');
  same(odd({ kind: 'un"known' }), 'odd kind');
  same(odd({ kind: undefined }), 'no kind (a hand-edited JSON Lines capture): the key is left out');
  same(odd({ kind: 5, tag: 7, verb: true }), 'a number and a boolean where strings belong');
  // Numbers JSON writes otherwise than as plain digits, and the edges of the hand-written digits.
  for (const n of [0, 9, 10, 99, 100, 2 ** 31, 2 ** 32 + 1, 1e15, 9999999999999999, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e21, -1, -0, 0.5, 1.5e-7]) {
    same({ ...base, timeUs: n, endUs: n, offset: n, length: n }, `number ${n}`);
    same(odd({}, { offset: n }, { latencyUs: n }), `line offset and latency ${n}`);
  }
  // A line long enough for the JSON.stringify path, plain and not.
  same(odd({}, { text: 'x'.repeat(5000) }), 'long plain line');
  same(odd({}, { text: `${'x'.repeat(5000)}"` }), 'long line to escape');
});
