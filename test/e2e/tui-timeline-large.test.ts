// The IDLE timeline of `imapdbg view` in tmux on a generated capture of 1,000 sessions, each idling
// and receiving one EXISTS, at 80x24 and 200x50: the rows are drawn, G reaches the last session,
// zoom changes the axis, Enter on a session's EXISTS mark opens its frames with that frame
// highlighted. Waits are bounded polls of the screen; nothing asserts a duration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureWriter } from '../../src/capture/capture-writer';
import { Reframer } from '../../src/capture/reframer';
import { highlightedRows, IMAPDBG, shellQuote, TmuxPane } from '../tui/tmux-pane';

const SESSIONS = 1000;
const T0 = 1_700_000_000_000_000;
let dir: string;
let capture: string;

/** Session `id` opens 50 ms after the one before, idles from +0.1 s to +3 s and gets an EXISTS in between. */
async function writeSessions(file: string): Promise<void> {
  const writer = new CaptureWriter(file, 'imapdbg test', T0);
  const reframer = new Reframer(writer);
  for (let id = 1; id <= SESSIONS; id++) {
    const start = T0 + id * 50_000;
    reframer.handle({ type: 'session-open', session: { id, startUs: start, client: `127.0.0.1:${20000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
    const data = (direction: 'client' | 'server', atUs: number, text: string): void => {
      reframer.handle({ type: 'data', session: id, direction, timeUs: start + atUs, bytes: Buffer.from(text), layer: 'wire' });
    };
    data('server', 1000, '* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n');
    data('client', 2000, `a1 LOGIN user${id} pw\r\n`);
    data('server', 3000, 'a1 OK logged in\r\n');
    data('client', 4000, 'a2 SELECT INBOX\r\n');
    data('server', 5000, '* 2 EXISTS\r\na2 OK [READ-WRITE] selected\r\n');
    data('client', 100_000, 'a3 IDLE\r\n');
    data('server', 101_000, '+ idling\r\n');
    data('server', 1_000_000 + (id % 10) * 100_000, `* ${id + 2} EXISTS\r\n`);
    data('client', 3_000_000, 'DONE\r\n');
    data('server', 3_001_000, 'a3 OK idle done\r\n');
    data('client', 3_002_000, 'a4 LOGOUT\r\n');
    data('server', 3_003_000, '* BYE bye\r\na4 OK bye\r\n');
    reframer.handle({ type: 'session-close', session: id, timeUs: start + 3_004_000, end: { by: 'server-closed' }, bytes: { client: 0, server: 0 }, frames: 0 });
    await writer.whenDrained();
  }
  await writer.close();
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-tui-timeline-'));
  capture = path.join(dir, 'sessions.imapcap');
  await writeSessions(capture);
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

for (const [width, height] of [[80, 24], [200, 50]] as const) {
  test(`view ${width}x${height}: the timeline of 1,000 sessions`, { timeout: 180_000 }, async () => {
    const pane = TmuxPane.start(width, height);
    try {
      await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
      pane.run(`node ${IMAPDBG} view --utc ${shellQuote(capture)}`);
      await pane.waitFor(/loaded \d+ frames/, 'the capture to load', 120_000);
      pane.keys('t');
      // The whole screen, not one caught while blessed was still painting it (seen under load).
      const rowsOf = (screen: string): string[] => screen.split('\n').filter((r) => /^#\d+ user\d+ INBOX/.test(r));
      const first = await pane.waitFor((s) => /imapdbg — IDLE timeline.* 1\/1000\s*$/m.test(s) && rowsOf(s).length >= height - 5,
        'the timeline of 1,000 sessions, every row drawn', 30_000);
      const sessionRows = rowsOf(first);
      assert.equal(sessionRows.length, height - 5, 'a row per line between the axis and the mark line');
      assert.match(sessionRows[0], /^#1 user1 INBOX\s*│·*█/, 'session #1 idles at the start of the capture');
      assert.ok(sessionRows.every((r) => r.includes('█')), 'every visible session shows its IDLE bar');
      assert.match(first.split('\n')[1], /^1× 53\.\ds\s*│.*\|22:13:\d\d/, 'the axis spans the whole capture');

      // The last session: its bar is at the right end.
      pane.keys('G');
      const last = await pane.waitFor(/ 1000\/1000\s*$/m, 'G to the last session', 30_000);
      const row1000 = last.split('\n').find((r) => r.startsWith('#1000 user1000 '));
      assert.ok(row1000, 'the row of session #1000');
      const plot = row1000.slice(row1000.indexOf('│') + 1);
      assert.ok(plot.indexOf('█') > plot.length * 0.8, `its bar near the end: ${plot}`);

      // Zoom to its EXISTS: the axis labels change to the zoomed span.
      let screen = last;
      for (let i = 0; i < 5 && !/update .*S: \* 1002 EXISTS/.test(screen); i++) {
        const mark = /mark (\d+)\//.exec(screen)?.[1];
        pane.keys('Right');
        screen = await pane.waitFor((s) => /mark (\d+)\//.exec(s)?.[1] !== mark, 'the next mark', 30_000);
      }
      assert.match(screen, /#1000 mark \d+\/\d+ .* update .*S: \* 1002 EXISTS/);
      const axisBefore = screen.split('\n')[1];
      for (let i = 0; i < 6; i++) pane.keys('+');
      const zoomed = await pane.waitFor((s) => s.split('\n')[1].startsWith('64× '), 'zoom 64×', 30_000);
      assert.notEqual(zoomed.split('\n')[1].replace(/^.*│/, ''), axisBefore.replace(/^.*│/, ''));
      assert.match(zoomed.split('\n')[1], /\|22:14:1\d/, 'ticks around session #1000\'s IDLE');
      const zoomedRow = zoomed.split('\n').find((r) => r.startsWith('#1000 user1000 ')) ?? '';
      assert.match(zoomedRow, /█+◆█+/, 'the EXISTS mark on the zoomed bar');

      // Enter: the frames screen of session #1000 with the EXISTS highlighted.
      pane.keys('Enter');
      await pane.waitFor(/Esc back to the timeline/, 'the jump to the frame', 30_000);
      const selected = highlightedRows(pane.styledScreen()).filter((r) => / [CS]: /.test(r));
      assert.equal(selected.length, 1);
      assert.match(selected[0], /S: \* 1002 EXISTS/);
      assert.match(pane.screen(), /imapdbg — session #1000 user1000 INBOX/);

      pane.keys('Escape');
      await pane.waitFor(/imapdbg — IDLE timeline.* 1000\/1000\s*$/m, 'back on the timeline, on the same session', 30_000);
      pane.keys('Q');
      await pane.waitFor((s) => /^\$\s*$/m.test(s) && !s.includes('imapdbg —'), 'the shell after Q');
    } finally {
      pane.kill();
    }
  });
}
