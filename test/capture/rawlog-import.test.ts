// Dovecot's own rawlog (recorded from Dovecot 2.3 with rawlog_dir, see
// test/fixtures-tools/record-import-samples.ts), with and without timestamps, and format errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImportFormatError, importRawlog } from '../../src/capture/rawlog-import';
import { framesOf } from './frames-of';

const SAMPLES = path.resolve(__dirname, '../../../fixtures/import');

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-rawimp-'));
}

test("Dovecot's timestamped rawlog and the same log without timestamps frame the same", async () => {
  const dir = tmp();
  try {
    const timed = await importRawlog(path.join(SAMPLES, 'dovecot-rawlog'), path.join(dir, 't.imapcap'), 'test');
    const plain = await importRawlog(path.join(SAMPLES, 'dovecot-rawlog-plain.in'), path.join(dir, 'p.imapcap'), 'test');
    assert.equal(timed.frames, plain.frames);
    assert.match(timed.notes.join('\n'), /starts after login/);
    assert.match(plain.notes.join('\n'), /no timestamps/);
    const a = await framesOf(path.join(dir, 't.imapcap'), false);
    assert.deepEqual(await framesOf(path.join(dir, 'p.imapcap'), false), a);
    const kinds = a.map((f) => `${f.direction[0]}:${f.kind}:${f.text.slice(0, 12)}`);
    // The APPEND literal waits for "+" and the IDLE's DONE follows "+ idling": both orders kept.
    const append = kinds.findIndex((k) => k.startsWith('c:command:s4 APPEND'));
    assert.deepEqual(kinds.slice(append, append + 3), ['c:command:s4 APPEND IN', 's:continuation:+ OK', 'c:command-continuation: «23 bytes: ']);
    const idle = kinds.findIndex((k) => k.startsWith('c:command:s5 IDLE'));
    assert.deepEqual(kinds.slice(idle, idle + 4), ['c:command:s5 IDLE', 's:continuation:+ idling', 'c:idle-done:DONE', 's:tagged:s5 OK Idle c']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a line without the timestamp the first line had is named by file and line', async () => {
  const dir = tmp();
  try {
    fs.writeFileSync(path.join(dir, 'x.in'), '1700000000.000001 a1 NOOP\r\na2 NOOP\r\n');
    fs.writeFileSync(path.join(dir, 'x.out'), '');
    await assert.rejects(importRawlog(path.join(dir, 'x'), path.join(dir, 'o.imapcap'), 'test'),
      (err: Error) => err instanceof ImportFormatError && err.message === `${path.join(dir, 'x.in')}:2: expected a rawlog timestamp "SECONDS.MICROSECONDS " at the start of the line (the file's first line has one)`);
    fs.writeFileSync(path.join(dir, 'b.in'), '1700000000.000001 I: a1 NOOP\r\n');
    fs.writeFileSync(path.join(dir, 'b.out'), '');
    await assert.rejects(importRawlog(path.join(dir, 'b'), path.join(dir, 'o.imapcap'), 'test'), /b\.in:1: this is a buffered rawlog/);
    await assert.rejects(importRawlog(path.join(dir, 'missing'), path.join(dir, 'o.imapcap'), 'test'), /missing\.in: no such file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
