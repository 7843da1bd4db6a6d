// `imapdbg demo` with stdout not a terminal: the headless view of a whole replayed session, which
// must end with the IDLE update shown and exit status 0. No Dovecot, no mail account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runCli } from '../fixtures-tools/run-cli';
import { captureEvents } from './capture-check';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/idle-updates.pcapng');

test('demo prints the session through the proxy, the IDLE update included, and exits 0', async () => {
  const r = await runCli(['demo', '--utc', '--speed', '2']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^\d\d:\d\d:\d\d\.\d{6} #1 -- session opened: client 127\.0\.0\.1:\d+ -> upstream 127\.0\.0\.1:\d+$/);
  assert.match(r.stdout, /#1 C: a1 LOGIN alice \*{8}/);
  assert.doesNotMatch(r.stdout, /LOGIN alice secret/);
  const idle = lines.findIndex((l) => / #1 C: a4 IDLE/.test(l));
  const exists = lines.findIndex((l) => / #1 S: \* 3 EXISTS/.test(l));
  const done = lines.findIndex((l) => / #1 C: DONE/.test(l));
  assert.ok(idle > 0 && exists > idle && done > exists, r.stdout);
  // The replay server sends exactly the recorded server bytes (the scripted client uses the recorded tags).
  const recorded = (await captureEvents(FIXTURE)).find((e) => e.type === 'session-close');
  assert.ok(recorded && recorded.type === 'session-close');
  assert.match(lines[lines.length - 1], new RegExp(`#1 -- session closed \\(server closed the connection\\): ${recorded.bytes.client} bytes from client, ${recorded.bytes.server} from server, \\d+ frames$`));
  assert.match(r.stderr, /the client received "\* 3 EXISTS" while idling/);
  assert.doesNotMatch(r.stderr, /no recorded response/);
});
