// The doctor's response reader over byte transcripts: any chunking gives the same responses,
// literal bodies are skipped unscanned, an overlong line is kept only up to its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseReader, type ServerResponse } from '../../src/doctor/response-reader';
import { parseDuration } from '../../src/doctor/duration';
import { appendUids, existsCount, selectableMailboxes } from '../../src/doctor/response-facts';

function read(chunks: Buffer[], max?: number): ServerResponse[] {
  const out: ServerResponse[] = [];
  const reader = new ResponseReader((r) => out.push(r), max);
  for (const c of chunks) reader.push(c);
  return out;
}

const TRANSCRIPT = Buffer.from('* OK ready\r\n* 1 FETCH (BODY[] {13}\r\nA\r\nB\r\n* 9 X\r\n)\r\n+ idling\r\n* 3 EXISTS\r\nD1 OK done\r\n', 'latin1');

test('every chunking gives the same responses; a literal body (even one holding CRLF and "* ") is skipped', () => {
  const whole = read([TRANSCRIPT]);
  assert.deepEqual(whole.map((r) => r.text), ['* OK ready', '* 1 FETCH (BODY[] {13}«13 bytes»)', '+ idling', '* 3 EXISTS', 'D1 OK done']);
  for (let cut = 1; cut < TRANSCRIPT.length; cut++) {
    assert.deepEqual(read([TRANSCRIPT.subarray(0, cut), TRANSCRIPT.subarray(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(read([...TRANSCRIPT].map((b) => Buffer.from([b]))), whole, 'byte by byte');
});

test('an overlong line keeps only its bound and is marked truncated; the next response is read normally', () => {
  const long = Buffer.concat([Buffer.from('* OK '), Buffer.alloc(1_000_000, 0x41), Buffer.from(' {3}\r\nabc\r\nD2 OK x\r\n')]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < long.length; i += 4096) chunks.push(long.subarray(i, i + 4096));
  const out = read(chunks, 1024);
  assert.equal(out.length, 2);
  assert.ok(out[0].truncated);
  assert.ok(out[0].text.length <= 1024 + 20, `kept ${out[0].text.length}`);
  assert.deepEqual(out[1], { text: 'D2 OK x', truncated: false }, 'the literal announced at the end of the cut line was still skipped');
});

test('durations, APPENDUID, EXISTS and LIST facts', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('31m'), 31 * 60_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('90'), 90_000);
  for (const bad of ['', 'soon', '0s', '5x', '-1m']) assert.equal(parseDuration(bad), undefined, bad);
  assert.deepEqual(appendUids('D5 OK [APPENDUID 38505 3955] APPEND completed'), [3955]);
  assert.deepEqual(appendUids('D5 OK [APPENDUID 38505 3955:3957] done'), [3955, 3956, 3957]);
  assert.equal(appendUids('D5 OK done'), undefined);
  assert.equal(existsCount('* 12 EXISTS'), 12);
  assert.equal(existsCount('* 12 RECENT'), undefined);
  const list = ['* LIST (\\HasNoChildren) "." INBOX', '* LIST (\\Noselect) "." Public', '* LIST () "." Sent'].map((text) => ({ kind: 'untagged' as const, text, atMs: 0 }));
  assert.equal(selectableMailboxes(list), 2);
});
