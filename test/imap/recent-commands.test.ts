import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentCommands } from '../../src/imap/recent-commands';

test('recent commands: the last `capacity` command frames are found by sequence number, older ones are forgotten', () => {
  const recent = new RecentCommands(4);
  assert.equal(recent.get(1), undefined);
  assert.equal(recent.get(-1), undefined, 'nothing matches before the first command');
  recent.add(2, 'V1');
  assert.equal(recent.get(2), 'V1', 'found before the ring is full');
  for (let seq = 2; seq <= 10; seq++) recent.add(seq * 2, `V${seq}`);
  for (let seq = 1; seq <= 6; seq++) assert.equal(recent.get(seq * 2), undefined, `frame ${seq * 2} is forgotten`);
  for (let seq = 7; seq <= 10; seq++) assert.equal(recent.get(seq * 2), `V${seq}`, `frame ${seq * 2} is remembered`);
  assert.equal(recent.get(15), undefined, 'a frame that was not a command');
});
