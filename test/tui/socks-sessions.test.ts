// Issue 12: the TUI's sessions screen shows a SOCKS5 session under the server name the client
// asked for, and a non-IMAP one as opaque (no frames, not an error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TuiModel } from '../../src/tui/view-model/tui-model';
import { sessionsRows } from '../../src/tui/render/sessions-render';

test('sessions screen: server name as asked, opaque session marked', () => {
  const model = new TuiModel({ source: { mode: 'live', title: 'test' }, revealSecrets: false, utc: true, now: () => 10 });
  model.handle({ type: 'session-open', session: { id: 1, startUs: 1, client: '127.0.0.1:5000', upstream: 'imap.example.org:993', upstreamAddress: '192.0.2.7:993', listen: '127.0.0.1:1080' } });
  model.handle({ type: 'session-open', session: { id: 2, startUs: 2, client: '127.0.0.1:5001', upstream: 'smtp.example.org:587', listen: '127.0.0.1:1080', opaque: true } });
  model.handle({ type: 'data', session: 2, direction: 'client', timeUs: 3, bytes: Buffer.from('EHLO x\r\n'), layer: 'wire' });
  const rows = sessionsRows(model, 160, 10).join('\n');
  assert.match(rows, /imap\.example\.org:993/);
  assert.match(rows, /smtp\.example\.org:587 \(opaque\)/);
});
