// `socat -v` logs: a real one (socat 1.7.4 between the scripted client and Dovecot) and small
// hand-made ones for the corner cases: a block without a final LF, escapes, and format errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImportFormatError } from '../../src/capture/rawlog-import';
import { importSocat } from '../../src/capture/socat-import';
import { SocatLogParser } from '../../src/capture/socat-log-parser';
import { framesOf } from './frames-of';

const SAMPLE = path.resolve(__dirname, '../../../fixtures/import/socat-v.log');

interface Block { mark: '>' | '<'; bytes: Buffer; fraction: string }

/** The log's blocks, parsed from chunks of `step` bytes (the result must not depend on the cuts). */
function parseSocatLog(file: string, step = 1 << 20): Block[] {
  const blocks: Block[] = [];
  const parser = new SocatLogParser(file, (h) => blocks.push({ mark: h.mark, bytes: Buffer.alloc(0), fraction: h.fraction }),
    (bytes) => { const b = blocks[blocks.length - 1]; b.bytes = Buffer.concat([b.bytes, bytes]); });
  const text = fs.readFileSync(file);
  for (let i = 0; i < text.length; i += step) parser.push(text.subarray(i, i + step));
  parser.end();
  return blocks;
}

let imports = 0;
async function importInto(file: string): Promise<string> {
  const out = path.join(path.dirname(file), `out-${++imports}.imapcap`);
  await importSocat(file, out, 'test');
  return out;
}

function withFile<T>(text: string, run: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-socat-'));
  const file = path.join(dir, 'socat.log');
  fs.writeFileSync(file, text, 'latin1');
  return run(file, dir).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

test('a real socat -v log imports as a whole session, greeting to LOGOUT', async () => {
  await withFile('', async (_f, dir) => {
    const out = path.join(dir, 's.imapcap');
    const summary = await importSocat(SAMPLE, out, 'test');
    const frames = await framesOf(out, true);
    assert.equal(frames[0].kind, 'greeting');
    assert.equal(frames[1].text, 's1 LOGIN alice secret');
    assert.equal(frames[frames.length - 1].text.slice(0, 20), 's6 OK Logout complet');
    assert.equal(summary.frames, frames.length);
    // from/to offsets in the log are the per-direction byte counts: the totals must agree.
    const last = [...fs.readFileSync(SAMPLE, 'latin1').matchAll(/^([<>]) .* to=([0-9]+)$/gm)];
    const lastTo = (mark: string): number => Number([...last].reverse().find((m) => m[1] === mark)?.[2]) + 1;
    assert.deepEqual(summary.bytes, { client: lastTo('>'), server: lastTo('<') });
    // socat 1.7 pads microseconds to 9 digits: times must come out a few ms apart, not ns.
    const spanUs = (frames[frames.length - 1].timeUs ?? 0) - (frames[0].timeUs ?? 0);
    assert.ok(spanUs > 100_000 && spanUs < 60_000_000, `session span ${spanUs} µs`);
  });
});

test('escapes decode to bytes and a block without a final LF is followed by the next header', async () => {
  const log = '< 2024/01/01 12:00:00.000000100  length=9 from=0 to=8\n* OK hi\\r\n'
    + '> 2024/01/01 12:00:00.000000200  length=6 from=0 to=5\na1 NOO'
    + '> 2024/01/01 12:00:00.000000300  length=13 from=6 to=18\nP\\r\na2 X \\\\ Y\\r\n';
  await withFile(log, async (file) => {
    for (const step of [1, 2, 3, 7, 1 << 20]) {
      const blocks = parseSocatLog(file, step);
      assert.deepEqual(blocks.map((b) => [b.mark, b.bytes.toString('latin1')]),
        [['<', '* OK hi\r\n'], ['>', 'a1 NOO'], ['>', 'P\r\na2 X \\ Y\r\n']], `chunks of ${step}`);
    }
    const frames = await framesOf(await importInto(file), true);
    assert.deepEqual(frames.map((f) => (f.timeUs ?? 0) - (frames[0].timeUs ?? 0)), [0, 100, 200]);
  });
});

test('format errors name the file, the line and what was expected', async () => {
  await withFile('hello\n', async (file) => {
    assert.throws(() => parseSocatLog(file), (e: Error) => e instanceof ImportFormatError
      && e.message === `${file}:1: expected a socat -v block header like "> 2024/01/01 12:00:00.000000  length=17 from=0 to=16" (socat -v, not -x)`);
  });
  await withFile('> 2024/01/01 12:00:00.000001  length=3 from=0 to=2\nab\n> 2024/01/01 12:00:00.000002  length=2 from=9 to=10\nxy', async (file) => {
    assert.throws(() => parseSocatLog(file), new RegExp(`^ImportFormatError: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: expected from=3 to=4 for 2 more bytes in the ">" direction, got from=9 to=10$`));
  });
  await withFile('> 2024/01/01 12:00:00.000001  length=30 from=0 to=29\nshort\n', async (file) => {
    assert.throws(() => parseSocatLog(file), /:3: expected 24 more bytes of the block announced at line 1 \(length=30\); the log ends first$/);
  });
});

test('a bad log leaves no capture behind, and an existing output is refused unless overwrite', async () => {
  await withFile('< 2024/01/01 12:00:00.000001  length=9 from=0 to=8\n* OK hi\\r\nhello\n', async (file, dir) => {
    const out = path.join(dir, 'bad.imapcap');
    await assert.rejects(importSocat(file, out, 'test'), /:3: expected a socat -v block header/);
    assert.equal(fs.existsSync(out), false);
  });
  await withFile('< 2024/01/01 12:00:00.000001  length=9 from=0 to=8\n* OK hi\\r\n', async (file, dir) => {
    const out = path.join(dir, 'old.imapcap');
    fs.writeFileSync(out, 'keep me');
    await assert.rejects(importSocat(file, out, 'test'), /old\.imapcap: it exists/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'keep me');
    await importSocat(file, out, 'test', true);
    assert.equal((await framesOf(out, false))[0].kind, 'greeting');
  });
});
