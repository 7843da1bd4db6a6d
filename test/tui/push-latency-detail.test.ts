// Issue 13: the push-latency relation the IDLE watch adds to an update frame shows in the TUI's detail
// pane ("session #1 got * 1 EXISTS N ms after session #2's COPY OK"), as it does in headless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleWatch } from '../../src/imap/idle-watch';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import { SessionModel } from '../../src/imap/session-model';
import { renderScreen } from '../../src/tui/render/screen-layout';
import { handleKey } from '../../src/tui/view-model/key-actions';
import { TuiModel } from '../../src/tui/view-model/tui-model';

test('the detail pane of an EXISTS pushed during IDLE names the session and command that caused it, with the latency', () => {
  const m = new TuiModel({ source: { mode: 'file', title: 'push' }, revealSecrets: false, utc: true, now: () => 0 });
  const watch = new IdleWatch(m);
  const sessions = [1, 2].map((id) => {
    watch.handle({ type: 'session-open', session: { id, startUs: 1, client: `127.0.0.1:${5000 + id}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
    return new SessionModel(id, { frame: (frame) => watch.handle({ type: 'frame', frame }), finding: () => undefined }, defaultAnnotators());
  });
  const [idler, changer] = sessions;
  let t = 1_000;
  const say = (s: SessionModel, direction: 'client' | 'server', line: string): void => { s.push(direction, Buffer.from(`${line}\r\n`), (t += 1_000)); };
  for (const [s, tag] of [[idler, 'a'], [changer, 'b']] as const) {
    say(s, 'server', '* OK ready');
    say(s, 'client', `${tag}1 LOGIN alice secret`);
    say(s, 'server', `${tag}1 OK Logged in`);
    say(s, 'client', `${tag}2 SELECT INBOX`);
    say(s, 'server', '* 1 EXISTS');
    say(s, 'server', `${tag}2 OK [READ-WRITE] Select completed`);
  }
  say(idler, 'client', 'a3 IDLE');
  say(idler, 'server', '+ idling');
  say(changer, 'client', 'b3 COPY 1 INBOX');
  say(changer, 'server', 'b3 OK Copy completed');
  t += 40_000;
  say(idler, 'server', '* 2 EXISTS');

  const screen = (): string => renderScreen(m, 160, 40).lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
  handleKey(m, 'enter'); // session #1's frames
  handleKey(m, 'G'); // its last frame: the pushed EXISTS
  handleKey(m, 'enter'); // its detail
  const shown = screen();
  assert.match(shown, /\* 2 EXISTS/, shown);
  assert.match(shown, /push-heard fromSession=2 fromSeq=\d+ command=COPY mailbox=INBOX latency=41\.0ms/, shown);
});
