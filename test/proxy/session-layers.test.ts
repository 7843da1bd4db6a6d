// The STARTTLS and COMPRESS layers decide from framed transcripts alone: no sockets. ProxySession
// carries their commands out (tested end to end in test/e2e/tls-*.test.ts and phases-compress).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Direction, Frame } from '../../src/imap/frame';
import { SessionModel } from '../../src/imap/session-model';
import { CompressLayer } from '../../src/proxy/compress-layer';
import type { LayerCommand, SessionLayer } from '../../src/proxy/session-layer';
import { ClientStartTlsLayer } from '../../src/proxy/tls/starttls-layer';
import { UpstreamStartTlsLayer } from '../../src/proxy/tls/upstream-starttls';

interface Step { at: string; consumed: boolean; commands: LayerCommand[] }

/**
 * Feed a transcript (direction, bytes) through a model that stops at the layer's boundaries, as
 * ProxySession does, and collect what the layer decides at each; bytes a layer took are not framed.
 */
function drive(layer: SessionLayer, transcript: Array<[Direction, string]>): Step[] {
  const steps: Step[] = [];
  let hit: Frame | undefined;
  const model = new SessionModel(1, { frame: () => undefined, finding: () => undefined });
  model.boundary = (frame) => {
    if (!layer.isBoundary(frame)) return false;
    hit = frame;
    return true;
  };
  for (const [direction, text] of transcript) {
    let rest = Buffer.from(text, 'latin1');
    while (rest.length > 0) {
      const consumed = model.push(direction, rest, 0);
      rest = rest.subarray(consumed);
      const frame = hit;
      hit = undefined;
      if (!frame) continue;
      const decision = layer.atBoundary(frame, direction, rest);
      steps.push({ at: `${frame.direction}:${frame.verb ?? frame.kind}`, consumed: decision.consumed, commands: decision.commands });
      if (decision.consumed) break;
    }
  }
  return steps;
}

const kinds = (s: Step): string[] => s.commands.map((c) => c.kind);

test('client STARTTLS: pause and hold what followed the line; the OK asks for the upgrade with both leftovers', () => {
  const steps = drive(new ClientStartTlsLayer(), [
    ['server', '* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n'],
    ['client', 'a STARTTLS\r\nb LOGIN carol secret\r\n'],
    ['server', 'a OK Begin TLS\r\n* injected\r\n'],
  ]);
  assert.deepEqual(steps.map((s) => s.at), ['client:STARTTLS', 'server:OK']);
  assert.deepEqual(kinds(steps[0]), ['pause', 'prepare-tls']);
  assert.equal(steps[0].consumed, true);
  const upgrade = steps[1].commands[0];
  assert.ok(upgrade.kind === 'starttls');
  assert.equal(upgrade.clientHeld.toString(), 'b LOGIN carol secret\r\n');
  assert.equal(upgrade.serverRest.toString(), '* injected\r\n');
});

test('client STARTTLS refused: the held bytes go back as plain commands and the client resumes', () => {
  const layer = new ClientStartTlsLayer();
  const steps = drive(layer, [
    ['server', '* OK hi\r\n'],
    ['client', 'a STARTTLS\r\nb NOOP\r\n'],
    ['server', 'a NO not now\r\n'],
  ]);
  assert.deepEqual(steps.map((s) => s.at), ['client:STARTTLS', 'server:NO']);
  const back = steps[1].commands;
  assert.deepEqual(back.map((c) => c.kind), ['receive', 'resume']);
  assert.ok(back[0].kind === 'receive' && back[0].bytes.toString() === 'b NOOP\r\n' && back[0].direction === 'client');
  assert.equal(steps[1].consumed, false);
  // Plain again: a later STARTTLS is a boundary once more.
  assert.equal(layer.isBoundary({ direction: 'client', kind: 'command', verb: 'STARTTLS' } as Frame), true);
});

test('a tagged OK of another command is no boundary; only the STARTTLS tag is', () => {
  const steps = drive(new ClientStartTlsLayer(), [
    ['client', 'a STARTTLS\r\n'],
    ['server', 'z OK other\r\na OK go\r\n'],
  ]);
  assert.deepEqual(steps.map((s) => s.at), ['client:STARTTLS', 'server:OK']);
  assert.ok(steps[1].commands[0].kind === 'starttls');
});

test('upstream STARTTLS: OK greeting asks for imapdbg\'s STARTTLS; PREAUTH fails the session; BYE resumes the client', () => {
  const ok = drive(new UpstreamStartTlsLayer(), [['server', '* OK hi\r\nleftover']]);
  assert.deepEqual(kinds(ok[0]), ['upstream-starttls']);
  assert.ok(ok[0].commands[0].kind === 'upstream-starttls' && ok[0].commands[0].serverRest.toString() === 'leftover');
  const preauth = drive(new UpstreamStartTlsLayer(), [['server', '* PREAUTH welcome\r\n']]);
  assert.ok(preauth[0].commands[0].kind === 'fail' && preauth[0].commands[0].code === 'preauth-instead-of-starttls');
  const bye = drive(new UpstreamStartTlsLayer(), [['server', '* BYE busy\r\n']]);
  assert.deepEqual(kinds(bye[0]), ['resume']);
  assert.equal(bye[0].consumed, false);
});

test('COMPRESS: the OK starts inflating and hands the compressed rest of the chunk back, at every split', () => {
  const transcript = 'a COMPRESS DEFLATE\r\n';
  const answer = 'a OK DEFLATE active\r\n\x01\x02\x03';
  for (let cut = 1; cut < answer.length; cut++) {
    const steps = drive(new CompressLayer(), [['client', transcript], ['server', answer.slice(0, cut)], ['server', answer.slice(cut)]]);
    assert.equal(steps.length, 1, `cut ${cut}`);
    assert.equal(steps[0].commands[0].kind, 'inflate');
    const okLength = 'a OK DEFLATE active\r\n'.length;
    const rest = steps[0].commands[1];
    if (cut < okLength) {
      // The OK completed in the second chunk: all three DEFLATE bytes follow it there.
      assert.ok(rest?.kind === 'receive' && rest.bytes.toString('latin1') === '\x01\x02\x03', `cut ${cut}`);
    } else if (cut === okLength) {
      assert.equal(rest, undefined, `cut ${cut}`);
    } else {
      assert.ok(rest?.kind === 'receive' && rest.bytes.toString('latin1') === answer.slice(okLength, cut), `cut ${cut}`);
    }
  }
});
