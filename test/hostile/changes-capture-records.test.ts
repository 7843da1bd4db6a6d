// Hostile change records in a capture, against the real bin/imapdbg: a detail of 1 MB full of
// terminal controls is bounded and escaped in export text and stats; an action a later version
// may add is skipped; a malformed record is one line on stderr, exit 2, never a stack trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../fixtures-tools/run-cli';

const HEADER = '{"r":"header","format":"imapdbg-capture","version":2,"createdUs":1700000000000000,"tool":"imapdbg test"}\n';
const OPEN = '{"r":"session-open","session":{"id":1,"startUs":1700000000000000,"client":"127.0.0.1:1","upstream":"127.0.0.1:2","listen":"127.0.0.1:3"}}\n';
let dir: string;

before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-changes-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function change(c: Record<string, unknown>): string {
  return `${JSON.stringify({ r: 'change', t: 1700000000000001, s: 1, c })}\n`;
}

test('a huge detail full of terminal controls is bounded and escaped; an unknown action is skipped', async () => {
  const hostile = `\x1b]0;owned\x07\x1b[2J\u202e${'Z'.repeat(1024 * 1024)}`;
  const p = path.join(dir, 'hostile.imapcap');
  fs.writeFileSync(p, HEADER + OPEN
    + change({ action: 'drop', toward: 'client', frameSeq: 3, detail: hostile, source: { kind: 'rule', index: 1, text: `drop ${hostile}` } })
    + change({ action: 'teleport', toward: 'client', detail: 'from the future', source: { kind: 'intercept' } }));
  const text = await runCli(['export', p, '--utc']);
  assert.equal(text.code, 0, text.stderr);
  const line = text.stdout.split('\n').find((l) => l.includes(' xx ')) ?? '';
  assert.doesNotMatch(text.stdout, /[\x1b\x07\u202e]/);
  assert.match(line, /xx dropped by rule 1: drop \\x1b\]0;owned\\x07\\x1b\[2J\\u\{202e\}Z+\.\.\. \(frame 3, toward the client\): \\x1b/);
  assert.ok(line.length < 1000, `line of ${line.length}`);
  assert.doesNotMatch(text.stdout, /future/);
  const stats = await runCli(['stats', p]);
  assert.equal(stats.code, 0, stats.stderr);
  assert.doesNotMatch(stats.stdout, /[\x1b\x07\u202e]/);
  assert.ok(stats.stdout.length < 20_000, `stats of ${stats.stdout.length} characters`);
});

test('a change record without its fields is one line, exit 2', async () => {
  const p = path.join(dir, 'bad.imapcap');
  fs.writeFileSync(p, HEADER + OPEN + change({ action: 'drop', toward: 'sideways', detail: 'x', source: { kind: 'rule', index: 1, text: 't' } }));
  const r = await runCli(['export', p]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^imapdbg: [^\n]*bad\.imapcap:3: change record without c\.action, c\.source, c\.toward \(client\|server\) and c\.detail\n$/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});
