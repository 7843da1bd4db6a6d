// Issue 9 item 10 in the TUI: tags, verbs, mailbox names, finding messages and IDLE tags with
// terminal controls reach the screen escaped (the same escaper as every other output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderScreen } from '../../src/tui/render/screen-layout';
import { handleKey } from '../../src/tui/view-model/key-actions';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { terminalHazards } from '../hostile/terminal-hazards';
import { makeFrame } from './frame-samples';

const EVIL = '\x1b]0;t\x07\x9b31m\u202e\u2066';

test('the sessions list, frame list and detail pane show peer strings escaped', () => {
  const m = new TuiModel({ source: { mode: 'file', title: 'hostile' }, revealSecrets: false, utc: true, now: () => 0 });
  m.handle({ type: 'session-open', session: { id: 1, startUs: 1, client: '127.0.0.1:5000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  m.handle({ type: 'tls', session: 1, timeUs: 2, tls: { leg: 'client', version: 'TLSv1.3', cipher: 'x', sni: `sni${EVIL}` } });
  const frames = [
    makeFrame(1, 1, 'server', 'greeting', `* OK ${EVIL}`, { verb: 'OK' }),
    makeFrame(1, 2, 'client', 'command', `t${EVIL} LOGIN u${EVIL} p`, { tag: `t${EVIL}`, verb: `LOGIN` }),
    makeFrame(1, 3, 'server', 'tagged', `t${EVIL} OK`, { tag: `t${EVIL}`, verb: 'OK', annotations: [{ kind: 'pair', commandSeq: 2, command: `LOGIN`, latencyUs: 1 }] }),
    makeFrame(1, 4, 'client', 'command', `a2 SELECT m${EVIL}`, { annotations: [{ kind: 'phase', phase: 'mailbox-opening', detail: { tag: 'a2', mailbox: `m${EVIL}`, readOnly: false } }] }),
    makeFrame(1, 5, 'server', 'tagged', 'a2 OK', { annotations: [{ kind: 'phase', phase: 'mailbox-selected', detail: { mailbox: `m${EVIL}`, access: 'read-write', exists: 0 } },
      { kind: 'finding', finding: { level: 'error', code: 'x', rfc: 'y', message: `quoted ${EVIL}` } }] }),
    makeFrame(1, 6, 'client', 'command', `i${EVIL} IDLE`, { tag: `i${EVIL}`, verb: `I${EVIL}`, annotations: [{ kind: 'phase', phase: 'idle-requested', detail: { tag: `i${EVIL}` } }] }),
  ];
  for (const frame of frames) m.handle({ type: 'frame', frame });
  /** The screen without the renderer's own SGR colour sequences. */
  const screen = (): string => renderScreen(m, 100, 40).lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
  const seen: string[] = [screen()];
  handleKey(m, 'enter');
  seen.push(screen());
  for (let i = 0; i < frames.length; i += 1) {
    handleKey(m, 'enter');
    seen.push(screen());
    handleKey(m, 'escape');
    handleKey(m, 'j');
  }
  for (const s of seen) assert.deepEqual(terminalHazards(s), [], s);
  assert.ok(seen.some((s) => s.includes('\\x9b31m')), 'the hostile strings were not on screen at all');
});
