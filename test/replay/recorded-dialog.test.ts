import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { exchangeTitle, loadDialog } from '../../src/replay/recorded-dialog';

const FIXTURES = path.resolve(__dirname, '../../../fixtures');
const kinds = (steps: { from: string; frame: { kind: string } }[]): string[] => steps.map((s) => `${s.from[0]}:${s.frame.kind}`);

test('the IDLE fixture splits into exchanges with their updates inside IDLE', async () => {
  const d = await loadDialog(path.join(FIXTURES, 'idle-updates.pcapng'));
  assert.equal(d.info.id, 1);
  assert.deepEqual(kinds(d.greeting), ['s:greeting']);
  assert.deepEqual(d.exchanges.map((e) => `${e.tag} ${e.verb}`), ['a1 LOGIN', 'a2 SELECT', 'a3 FETCH', 'a4 IDLE', 'a5 LOGOUT']);
  const idle = d.exchanges[3];
  assert.deepEqual(kinds(idle.steps), ['c:command', 's:continuation', 's:untagged', 's:untagged', 'c:idle-done', 's:tagged']);
  assert.equal(idle.steps[2].bytes.toString('latin1'), '* 3 EXISTS\r\n');
  assert.equal(exchangeTitle(d.exchanges[0]), 'a1 LOGIN alice ********');
  assert.deepEqual(d.strays, []);
});

test('literal LOGIN and AUTHENTICATE keep their continuation requests in order', async () => {
  const lit = await loadDialog(path.join(FIXTURES, 'login-literal.imapcap'));
  assert.deepEqual(kinds(lit.exchanges[0].steps),
    ['c:command', 's:continuation', 'c:command-continuation', 's:continuation', 'c:command-continuation', 's:tagged']);
  const auth = await loadDialog(path.join(FIXTURES, 'authenticate-plain.pcapng'));
  assert.deepEqual(kinds(auth.exchanges[1].steps), ['c:command', 's:continuation', 'c:sasl', 's:untagged', 's:tagged']);
});

test('a missing session is named with the ones there are', async () => {
  await assert.rejects(loadDialog(path.join(FIXTURES, 'idle-updates.pcapng'), 4), /no session 4 in the capture \(sessions: 1\)/);
});
