// `export --format rawlog` of a capture whose 600 sessions are all open at once: it must not need
// a descriptor per file (1200 here) but hold a bounded set, under a descriptor limit of 200.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IMAPDBG } from '../fixtures-tools/run-cli';

const SESSIONS = 600;
const T0 = 1_700_000_000_000_000;

/** A JSON Lines capture: every session opens, then each sends a line each way, then all close. */
function manySessionCapture(file: string): void {
  const lines = ['{"r":"header","format":"imapdbg-capture","version":1,"createdUs":1700000000000000,"tool":"imapdbg test"}'];
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  for (let id = 1; id <= SESSIONS; id++) {
    lines.push(JSON.stringify({ r: 'session-open', session: { id, startUs: T0 + id, client: `127.0.0.1:${10000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } }));
  }
  for (let id = 1; id <= SESSIONS; id++) {
    lines.push(JSON.stringify({ r: 'data', t: T0 + 1000 + id, s: id, d: 's', l: 'w', b: b64(`* OK session ${id} ready\r\n`) }));
    lines.push(JSON.stringify({ r: 'data', t: T0 + 2000 + id, s: id, d: 'c', l: 'w', b: b64(`a${id} NOOP\r\n`) }));
  }
  // A second round after every file has been written once: a reopened file must append.
  for (let id = 1; id <= SESSIONS; id++) {
    lines.push(JSON.stringify({ r: 'data', t: T0 + 3000 + id, s: id, d: 's', l: 'w', b: b64(`a${id} OK done\r\n`) }));
  }
  for (let id = 1; id <= SESSIONS; id++) {
    lines.push(JSON.stringify({ r: 'session-close', t: T0 + 4000 + id, s: id, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: 0 }));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

test('rawlog export of 600 concurrent sessions under a 200-descriptor limit: every pair written whole, no EMFILE', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-rawlog-many-'));
  try {
    const capture = path.join(dir, 'many.imapcap');
    manySessionCapture(capture);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const r = spawnSync('bash', ['-c', 'ulimit -n 200 && exec "$0" "$@"', process.execPath, IMAPDBG,
      'export', capture, '--format', 'rawlog', '--out-prefix', path.join(out, 'p')], { encoding: 'utf8' });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(0, 800)}`);
    assert.doesNotMatch(r.stderr, /EMFILE|\n\s+at /);
    assert.equal(fs.readdirSync(out).length, SESSIONS * 2);
    // Dovecot's rawlog stamps every line; the bytes after the stamps must be the session's, in order.
    const read = (name: string): string => fs.readFileSync(path.join(out, name), 'latin1').replace(/^[0-9]+\.[0-9]{6} /gm, '');
    for (const id of [1, 64, 65, 300, SESSIONS]) {
      assert.equal(read(`p-${id}.out`), `* OK session ${id} ready\r\na${id} OK done\r\n`);
      assert.equal(read(`p-${id}.in`), `a${id} NOOP\r\n`);
      assert.equal(fs.statSync(path.join(out, `p-${id}.in`)).mode & 0o777, 0o600);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
