// Robustness: `imapdbg view` on a capture with 100,000 frames and a 50 MB literal stays
// responsive: G reaches the last frame, / finds one in the middle, and the literal's detail shows
// its first bytes in hex. Waits are bounded (a hang fails the test); nothing asserts a duration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureWriter } from '../../src/capture/capture-writer';
import { Reframer } from '../../src/capture/reframer';
import { IMAPDBG, shellQuote, TmuxPane } from '../tui/tmux-pane';

const PAIRS = 49_998; // + greeting, the FETCH command, its untagged response, its tagged OK = 100,000 frames
const LITERAL = 50 * 1024 * 1024;
let dir: string;
let capture: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-tui-large-'));
  capture = path.join(dir, 'large.imapcap');
  const writer = new CaptureWriter(capture, 'imapdbg test', 1_700_000_000_000_000);
  const reframer = new Reframer(writer);
  let t = 1_700_000_000_000_000;
  reframer.handle({ type: 'session-open', session: { id: 1, startUs: t, client: '127.0.0.1:40000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  const data = async (direction: 'client' | 'server', bytes: Buffer): Promise<void> => {
    t += 10;
    reframer.handle({ type: 'data', session: 1, direction, timeUs: t, bytes, layer: 'wire' });
    await writer.whenDrained();
  };
  await data('server', Buffer.from('* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n'));
  for (let i = 0; i < PAIRS; i += 1000) {
    const n = Math.min(1000, PAIRS - i);
    const tags = Array.from({ length: n }, (_, k) => `t${i + k}`);
    await data('client', Buffer.from(tags.map((tag) => `${tag} NOOP\r\n`).join('')));
    await data('server', Buffer.from(tags.map((tag) => `${tag} OK done\r\n`).join('')));
  }
  await data('client', Buffer.from('big FETCH 1 BODY[]\r\n'));
  await data('server', Buffer.from(`* 1 FETCH (BODY[] {${LITERAL}}\r\n`));
  const chunk = Buffer.alloc(64 * 1024, 'big body line\r\n');
  for (let sent = 0; sent < LITERAL; sent += chunk.length) await data('server', chunk.subarray(0, Math.min(chunk.length, LITERAL - sent)));
  await data('server', Buffer.from(')\r\nbig OK fetched\r\n'));
  reframer.handle({ type: 'session-close', session: 1, timeUs: t + 1, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: 0 });
  await writer.close();
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('view: 100,000 frames and a 50 MB literal respond to G, / and the hex detail', { timeout: 300_000 }, async () => {
  const pane = TmuxPane.start(80, 24);
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`node ${IMAPDBG} view ${shellQuote(capture)}`);
    await pane.waitFor(/loaded 100000 frames/, 'the capture to load', 180_000);
    pane.keys('Enter');
    await pane.waitFor(/ 1\/100000$/m, 'the frames screen');
    pane.keys('G');
    const end = await pane.waitFor(/ 100000\/100000$/m, 'G to the last frame', 30_000);
    assert.match(end, /S: big OK fetched/);
    pane.keys('/');
    pane.type('t25000 OK');
    pane.keys('Enter');
    const found = await pane.waitFor(/\/t25000 OK: row \d+ of 100000/, 'the search', 30_000);
    assert.match(found, /S: t25000 OK done/);
    pane.keys('f');
    pane.type('~lit >10M');
    pane.keys('Enter');
    await pane.waitFor(/filter ~lit >10M: 1 frames/, 'the filter', 30_000);
    pane.keys('Enter');
    await pane.waitFor(/literal \{52428800\}: 50M/, 'the detail of the 50 MB literal', 30_000);
    pane.keys('x');
    const hex = await pane.waitFor(/^00000000  62 69 67 20 62 6f 64 79/m, 'the literal in hex', 60_000);
    assert.match(hex, /\|big body line\.\./);
    pane.keys('Q');
    await pane.waitFor((s) => /^\$\s*$/m.test(s) && !s.includes('imapdbg —'), 'the shell after Q');
  } finally {
    pane.kill();
  }
});
