// A capture whose writer was killed mid-record: everything up to the last complete record is read,
// exported and replayable; the cut is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCapture } from '../../src/capture/capture-reader';
import { loadDialog } from '../../src/replay/recorded-dialog';
import { runCli } from '../fixtures-tools/run-cli';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/idle-updates.imapcap');

test('a capture cut inside its last record reads up to the last complete one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-trunc-'));
  try {
    const whole = fs.readFileSync(FIXTURE, 'latin1');
    const lines = whole.split('\n');
    // Cut in the middle of the frame record of the client's DONE (written before its data record).
    const doneRecord = lines.findIndex((l) => l.startsWith('{"r":"frame","text":"DONE"'));
    assert.ok(doneRecord > 0);
    const cut = path.join(dir, 'cut.imapcap');
    fs.writeFileSync(cut, `${lines.slice(0, doneRecord).join('\n')}\n${lines[doneRecord].slice(0, 30)}`, 'latin1');
    const kinds: string[] = [];
    const r = await readCapture(cut, (e) => { kinds.push(e.type); });
    assert.equal(r.truncated, true);
    assert.equal(kinds.filter((k) => k === 'data').length, lines.slice(0, doneRecord).filter((l) => l.includes('"r":"data"')).length);
    const dialog = await loadDialog(cut);
    const idle = dialog.exchanges.find((e) => e.verb === 'IDLE');
    assert.deepEqual(idle?.steps.map((s) => s.frame.kind), ['command', 'continuation', 'untagged', 'untagged']);
    const text = await runCli(['export', cut, '--utc']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /S: \* 3 RECENT/);
    assert.doesNotMatch(text.stdout, /C: DONE/);
    assert.match(text.stderr, /cut\.imapcap: the last record was cut off \(read up to the last complete one\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
