import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interceptor } from '../../src/lab/intercept-stage';
import type { FrameVerdict, StageContext, StageResult } from '../../src/lab/frame-stage';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import { makeFrame } from '../tui/frame-samples';

function context(frame: Frame): StageContext {
  return { session: frame.session, inIdle: false, text: () => frameText(frame, { revealSecrets: false }) };
}

function bytesOf(frame: Frame): Buffer {
  const line = frame.parts[0];
  return Buffer.from(`${line.type === 'line' ? line.line.text : ''}\r\n`, 'latin1');
}

function run(interceptor: Interceptor, frame: Frame, bytes = bytesOf(frame)): StageResult {
  return interceptor.stage.onFrame(frame, bytes, context(frame));
}

/** The promise of a hold verdict; fails the test when the verdict is not a hold. */
function held(result: StageResult): Promise<FrameVerdict> {
  assert.equal(result.verdict.kind, 'hold');
  if (result.verdict.kind !== 'hold') throw new Error('not held');
  assert.deepEqual(result.verdict.source, { kind: 'intercept' });
  return result.verdict.until;
}

const fetchResponse = (session: number, seq: number): Frame => makeFrame(session, seq, 'server', 'untagged', '* 1 FETCH (FLAGS (\\Seen))');
const noop = (session: number, seq: number): Frame => makeFrame(session, seq, 'client', 'command', `a${seq} NOOP`);

test('no filter: every frame is forwarded and nothing is held', () => {
  const i = new Interceptor();
  assert.deepEqual(run(i, fetchResponse(1, 2)).verdict, { kind: 'forward' });
  assert.equal(i.count, 0);
});

test('matching frames of either direction are held; the others flow', async () => {
  const i = new Interceptor();
  assert.deepEqual(i.setFilter('~c FETCH | ~c NOOP'), { ok: true, source: '~c FETCH | ~c NOOP', released: 0 });
  const server = held(run(i, fetchResponse(1, 2)));
  const client = held(run(i, noop(2, 5)));
  assert.deepEqual(run(i, makeFrame(1, 3, 'server', 'untagged', '* 3 EXISTS')).verdict, { kind: 'forward' });
  assert.deepEqual(i.list().map((h) => [h.session, h.seq, h.direction]), [[1, 2, 'server'], [2, 5, 'client']]);
  assert.equal(i.find(2, 5)?.bytes.toString(), 'a5 NOOP\r\n');
  const [first, second] = i.list();
  assert.ok(i.forward(first.id));
  assert.deepEqual(await server, { kind: 'forward' });
  assert.ok(i.drop(second.id));
  assert.deepEqual(await client, { kind: 'drop', source: { kind: 'intercept' }, detail: 'dropped in the TUI' });
  assert.equal(i.count, 0);
  assert.equal(i.forward(first.id), false, 'a settled frame cannot be settled again');
});

test('edit settles with the new bytes as an intercept edit', async () => {
  const i = new Interceptor();
  i.setFilter('~dir s');
  const until = held(run(i, fetchResponse(1, 2)));
  const id = i.list()[0].id;
  assert.ok(i.edit(id, Buffer.from('* 1 FETCH (FLAGS ())\r\n')));
  const verdict = await until;
  assert.equal(verdict.kind, 'replace');
  if (verdict.kind !== 'replace') return;
  assert.equal(verdict.action, 'edit');
  assert.deepEqual(verdict.source, { kind: 'intercept' });
  assert.equal(verdict.bytes.toString(), '* 1 FETCH (FLAGS ())\r\n');
});

test('clearing the filter forwards every held frame; a bad filter keeps the old one', async () => {
  const i = new Interceptor();
  i.setFilter('~s 1');
  const a = held(run(i, fetchResponse(1, 2)));
  const b = held(run(i, noop(1, 3)));
  const bad = i.setFilter('~c');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.equal(bad.column, 3, 'the missing argument, after ~c');
  assert.equal(i.filterSource, '~s 1');
  assert.equal(i.count, 2);
  assert.deepEqual(i.setFilter('  '), { ok: true, source: undefined, released: 2 });
  assert.deepEqual(await a, { kind: 'forward' });
  assert.deepEqual(await b, { kind: 'forward' });
  assert.equal(i.filterSource, undefined);
  assert.deepEqual(run(i, fetchResponse(1, 4)).verdict, { kind: 'forward' });
});

test('releaseAll (the TUI quits) forwards everything held', async () => {
  const i = new Interceptor();
  i.setFilter('~dir c');
  const a = held(run(i, noop(1, 1)));
  const b = held(run(i, noop(2, 1)));
  assert.equal(i.releaseAll(), 2);
  assert.deepEqual(await Promise.all([a, b]), [{ kind: 'forward' }, { kind: 'forward' }]);
  assert.equal(i.count, 0);
});

test('a closing session takes its held frames off the list; other sessions keep theirs', async () => {
  const i = new Interceptor();
  i.setFilter('~dir c');
  const a = held(run(i, noop(1, 1)));
  held(run(i, noop(2, 1)));
  i.stage.onSessionClose?.(1);
  assert.deepEqual(await a, { kind: 'forward' });
  assert.deepEqual(i.list().map((h) => h.session), [2]);
});

test('bounds: a frame over the per-frame cap, and frames beyond the total caps, are forwarded with a notice', () => {
  const i = new Interceptor({ frameBytes: 100, totalBytes: 150, frames: 3 });
  const notices: string[] = [];
  i.onChange((n) => { if (n) notices.push(n); });
  i.setFilter('~dir c');
  const big = noop(1, 1);
  assert.deepEqual(run(i, big, Buffer.alloc(101)).verdict, { kind: 'forward' });
  assert.match(notices[0], /session #1 frame 1 \(101 bytes\) not held: larger than 100 bytes; forwarded/);
  held(run(i, noop(1, 2), Buffer.alloc(100)));
  assert.deepEqual(run(i, noop(1, 3), Buffer.alloc(60)).verdict, { kind: 'forward' }, 'total bytes would exceed 150');
  assert.match(notices[1], /not held: 1 frames \(100 bytes\) already held/);
  held(run(i, noop(1, 4), Buffer.alloc(10)));
  held(run(i, noop(1, 5), Buffer.alloc(10)));
  assert.deepEqual(run(i, noop(1, 6), Buffer.alloc(1)).verdict, { kind: 'forward' }, 'three frames are the cap');
  // Settling frees room again.
  i.forward(i.list()[0].id);
  held(run(i, noop(1, 7), Buffer.alloc(60)));
});

test('listeners hear holds and settlements; unsubscribing stops them', () => {
  const i = new Interceptor();
  let calls = 0;
  const stop = i.onChange(() => { calls++; });
  i.setFilter('~dir s');
  held(run(i, fetchResponse(1, 1)));
  i.drop(i.list()[0].id);
  assert.equal(calls, 3);
  stop();
  held(run(i, fetchResponse(1, 2)));
  assert.equal(calls, 3);
});

test('the filter sees the stage context: ~idle and text terms', () => {
  const i = new Interceptor();
  i.setFilter('~idle & EXISTS');
  const f = makeFrame(1, 9, 'server', 'untagged', '* 4 EXISTS');
  const stage = i.stage;
  assert.equal(stage.onFrame(f, bytesOf(f), { ...context(f), inIdle: false }).verdict.kind, 'forward');
  assert.equal(stage.onFrame(f, bytesOf(f), { ...context(f), inIdle: true }).verdict.kind, 'hold');
});

test('the executor settling a held frame itself (a STARTTLS boundary, a black hole) takes it off the list', async () => {
  const i = new Interceptor();
  i.setFilter('~dir s');
  const a = held(run(i, fetchResponse(1, 2)));
  held(run(i, fetchResponse(1, 3)));
  held(run(i, fetchResponse(2, 4)));
  let calls = 0;
  i.onChange(() => { calls++; });
  const intervention = (session: number, action: 'forward' | 'blackhole' | 'hold', frameSeq?: number): void =>
    i.handle({ type: 'intervention', session, timeUs: 1, intervention: { action, source: { kind: 'intercept' }, toward: 'client', frameSeq, detail: '' } });
  intervention(1, 'hold', 2);
  assert.equal(i.count, 3, 'the hold itself changes nothing');
  intervention(1, 'forward', 2);
  assert.deepEqual(i.list().map((h) => h.seq), [3, 4]);
  assert.deepEqual(await a, { kind: 'forward' }, 'settled, though nobody waits any more');
  i.handle({ type: 'intervention', session: 2, timeUs: 1, intervention: { action: 'blackhole', source: { kind: 'rule', index: 1, text: 'blackhole' }, toward: 'client', detail: '' } });
  assert.deepEqual(i.list().map((h) => h.seq), [3]);
  assert.equal(calls, 2);
});
