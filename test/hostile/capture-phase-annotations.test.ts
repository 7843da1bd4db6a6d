// Phase annotations read from a capture are checked at the reader: a phase this version does not
// know, or a known one whose detail lacks its fields or has them with other types, is kept as an
// unrecognised phase (shown as recorded) and never reaches a consumer as typed; broken entries are
// dropped. Hand-made JSON Lines capture, converted to pcapng by the real bin/imapdbg, then read by
// the real readers, `stats` and `export`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCapture } from '../../src/capture/capture-reader';
import type { Annotation } from '../../src/imap/frame';
import { run, tmpDir } from '../capture/pcapng/pcapng-support';

const BIN = path.resolve(__dirname, '../../../bin/imapdbg');
const T0 = 1_700_000_000_000_000;

function frame(seq: number, direction: 'client' | 'server', kind: string, text: string, annotations: unknown[]): string {
  const [tag, verb] = text.split(' ');
  const f = {
    session: 1, seq, direction, kind, timeUs: T0 + seq * 1000, endUs: T0 + seq * 1000, offset: 0, length: text.length + 2,
    ...(kind === 'command' || kind === 'tagged' ? { tag, verb } : {}),
    parts: [{ type: 'line', line: { text, length: text.length + 2, offset: 0, truncated: false, ending: 'crlf' } }], secrets: [], annotations,
  };
  return JSON.stringify({ r: 'frame', text, f });
}

/** A session whose IDLE phases are good, wrong, unknown and broken, in the JSON Lines format of version 1. */
function hostileCapture(file: string): void {
  const lines = [
    JSON.stringify({ r: 'header', format: 'imapdbg-capture', version: 1, createdUs: T0, tool: 'hand-made' }),
    JSON.stringify({ r: 'session-open', session: { id: 1, startUs: T0, client: '127.0.0.1:1', upstream: '127.0.0.1:2', listen: '127.0.0.1:3' } }),
    frame(1, 'client', 'command', 'h1 IDLE', [{ kind: 'phase', phase: 'idle-requested', detail: { tag: 'h1', gapUs: 5 } }]),
    frame(2, 'server', 'continuation', '+ idling', [
      { kind: 'phase', phase: 'idle-accepted', detail: { tag: 'h1', waitUs: 'soon' } },
      { kind: 'phase', phase: 'idle-teleported', detail: { tag: 'h1', where: 'mars', nested: { a: 1 } } },
      { kind: 'phase', phase: 'toString' },
      { kind: 'phase', phase: 42 },
      { kind: 'phase', phase: 'idle-update', detail: ['h1', 1] },
      null, 5, 'x', [],
    ]),
    frame(3, 'server', 'tagged', 'h1 OK done', [
      { kind: 'phase', phase: 'idle-ended', detail: { tag: 'h1', status: 'MAYBE', durationUs: 2000, updates: 0, doneSent: true } },
      { kind: 'pair', commandSeq: 'one', command: 'IDLE', latencyUs: 1 },
      { kind: 'finding', finding: { level: 'fatal', code: 'x', rfc: 'y', message: 'z' } },
    ]),
    JSON.stringify({ r: 'session-close', t: T0 + 9000, s: 1, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: 3 }),
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

async function annotationsOf(file: string): Promise<Annotation[][]> {
  const out: Annotation[][] = [];
  await readCapture(file, (e) => { if (e.type === 'frame') out.push(e.frame.annotations); });
  return out;
}

test('phases that do not check out are unrecognised, broken entries dropped, in both formats; stats and export take them as such', async () => {
  const dir = tmpDir();
  try {
    const jsonl = path.join(dir, 'hostile.imapcap');
    const pcapng = path.join(dir, 'hostile.pcapng');
    hostileCapture(jsonl);
    const converted = run(BIN, ['convert', jsonl, pcapng]);
    assert.equal(converted.status, 0, converted.stderr);
    for (const file of [jsonl, pcapng]) {
      const [first, second, third] = await annotationsOf(file);
      assert.deepEqual(first, [{ kind: 'phase', phase: 'idle-requested', detail: { tag: 'h1', gapUs: 5 } }], file);
      assert.deepEqual(second, [
        { kind: 'unrecognised-phase', phase: 'idle-accepted', detail: { tag: 'h1', waitUs: 'soon' } },
        { kind: 'unrecognised-phase', phase: 'idle-teleported', detail: { tag: 'h1', where: 'mars' } },
        { kind: 'unrecognised-phase', phase: 'toString' },
        { kind: 'unrecognised-phase', phase: 'idle-update', detail: {} },
      ], file);
      assert.deepEqual(third.map((a) => a.kind), ['unrecognised-phase'], file);
    }
    // `stats` over the pcapng reads its recorded frames: the IDLE never ended as far as typed phases go.
    const stats = run(BIN, ['stats', pcapng]);
    assert.equal(stats.status, 0, stats.stderr);
    assert.match(stats.stdout, /IDLE {6}1 period \(0 ended, 0 rejected, 1 open\), 0 updates/);
    const text = run(BIN, ['export', pcapng]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /\[idle-teleported tag=h1 where=mars\]/);
    assert.match(text.stdout, /\[idle-ended tag=h1 status=MAYBE duration=2\.0ms updates=0 doneSent=true\]/);
    assert.doesNotMatch(`${stats.stderr}${text.stderr}`, /at .*\.js:\d+/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
