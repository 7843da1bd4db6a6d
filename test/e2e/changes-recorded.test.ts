// Issue 11, "everything changed is visible and recorded", end to end: a real Dovecot, the real
// proxy with its executor (FrameGate) and a stage acting as two rules (drop EXISTS during IDLE;
// then inject `* BYE` and close), a pcapng capture, and the real command line reading it back:
// export text marks the change and the injected bytes, stats counts them per rule, lint does not
// blame the client for an IDLE imapdbg ended, and replay --serve plays what the client received.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PcapngCaptureWriter } from '../../src/capture/pcapng/pcapng-capture-writer';
import { EventBus, type ProxyEvent } from '../../src/imap/events';
import type { FrameStage, StageResult } from '../../src/lab/frame-stage';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { appendMessage, makeMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { readUntil } from '../harness/lines';
import { startImapdbgProxy } from '../harness/imapdbg-process';
import { runCli, startCli } from '../fixtures-tools/run-cli';
import { waitForEvent } from '../harness/event-wait';

let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-changes-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const DROP = { kind: 'rule', index: 1, text: 'drop ~dir s ~idle EXISTS' } as const;
const BYE = { kind: 'rule', index: 2, text: "inject '* BYE imapdbg says bye' after the first drop, then close" } as const;

/** Drops every `* N EXISTS` during IDLE; after the first, injects `* BYE` toward the client and closes both sides. */
function ruleStage(): FrameStage {
  let dropped = 0;
  return {
    onFrame: (frame, _bytes, context): StageResult => {
      if (frame.direction !== 'server' || frame.kind !== 'untagged' || frame.verb !== 'EXISTS' || !context.inIdle) return { verdict: { kind: 'forward' } };
      dropped += 1;
      return {
        verdict: { kind: 'drop', source: DROP, detail: context.text() },
        commands: dropped === 1 ? [
          { kind: 'inject', toward: 'client', bytes: Buffer.from('* BYE imapdbg says bye\r\n'), source: BYE, detail: '* BYE imapdbg says bye' },
          { kind: 'close', side: 'both', source: BYE, detail: 'close both sides' },
        ] : [],
      };
    },
  };
}


/** Greeting, `a1 LOGIN alice`, `a2 SELECT INBOX`, then `a3 IDLE` sent; the caller reads what follows. */
async function loginSelectAndIdle(sock: net.Socket): Promise<void> {
  await readUntil(sock, (l) => l.startsWith('* OK'));
  sock.write(`a1 LOGIN alice ${dovecot.users.alice}\r\n`);
  await readUntil(sock, (l) => l.startsWith('a1 '));
  sock.write('a2 SELECT INBOX\r\n');
  await readUntil(sock, (l) => l.startsWith('a2 '));
  sock.write('a3 IDLE\r\n');
}
test('a dropped EXISTS and an injected BYE are recorded, shown, counted and replayed as the client received them', async () => {
  const capture = path.join(dir, 'changed.pcapng');
  const writer = new PcapngCaptureWriter(capture, 'imapdbg test', Date.now() * 1000);
  const events: ProxyEvent[] = [];
  const bus = new EventBus().add(writer).add({ handle: (e) => { events.push(e); } });
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: dovecot.host, port: dovecot.port }, sink: bus,
    sessionOptions: () => ({ stages: [ruleStage()] }) });
  const { port } = await proxy.listen();
  let clientGot = '';
  try {
    const sock = net.connect(port, '127.0.0.1');
    sock.on('data', (d: Buffer) => { clientGot += d.toString('latin1'); });
    await loginSelectAndIdle(sock);
    await readUntil(sock, (l) => l.startsWith('+'));
    await appendMessage(dovecot, 'alice', 'INBOX', makeMessage(500, 'pushed'));
    const tail = await readUntil(sock, (l) => l.startsWith('* BYE'));
    assert.deepEqual(tail, ['* BYE imapdbg says bye']);
    await waitForEvent(events, (e) => e.type === 'session-close');
    sock.destroy();
  } finally {
    await proxy.close();
    await writer.close();
  }
  // The client never saw the EXISTS; the server did send it (the wire keeps it).
  assert.equal(clientGot.slice(clientGot.indexOf('+ idling')), '+ idling\r\n* BYE imapdbg says bye\r\n');
  const wireServer = Buffer.concat(events.flatMap((e) => (e.type === 'data' && e.layer === 'wire' && e.direction === 'server' ? [e.bytes] : []))).toString('latin1');
  const existsLine = /\* (\d+) EXISTS\r\n(?![\s\S]*a2 OK)/.exec(wireServer.slice(wireServer.indexOf('+ idling')));
  assert.ok(existsLine, wireServer);

  const text = await runCli(['export', capture, '--utc']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`#1 S: \\* ${existsLine[1]} EXISTS[^\\n]*\\n[^\\n]*#1 xx dropped by rule 1: drop ~dir s ~idle EXISTS \\(frame \\d+, toward the client\\): \\* ${existsLine[1]} EXISTS`));
  assert.match(text.stdout, /#1 P>C: \* BYE imapdbg says bye {2}\[injected by rule 2: .*, 24 bytes\]/);
  assert.doesNotMatch(text.stdout, /#1 S: \* BYE imapdbg/);

  const stats = await runCli(['stats', capture]);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stdout, /changes {3}rule 1: drop ~dir s ~idle EXISTS: drop 1\n/);
  assert.match(stats.stdout, /rule 2: inject .*: close 1, inject 1 \(24 bytes\)\n/);
  const json = JSON.parse((await runCli(['stats', capture, '--json'])).stdout) as Array<{ changes: Array<{ rule?: number; action: string; count: number }> }>;
  assert.deepEqual(json[0].changes.map((c) => `${c.rule} ${c.action} ${c.count}`), ['1 drop 1', '2 close 1', '2 inject 1']);

  const lint = await runCli(['lint', capture]);
  assert.doesNotMatch(lint.stdout, /idle-connection-lost/, lint.stdout);

  const { child, match } = await startCli(['replay', capture, '--serve', '127.0.0.1:0'], /on 127\.0\.0\.1:(\d+)\n/);
  try {
    const replayed = net.connect(Number(match[1]), '127.0.0.1');
    const lines: string[] = [];
    await loginSelectAndIdle(replayed);
    lines.push(...await readUntil(replayed, (l) => l.startsWith('* BYE')));
    assert.deepEqual(lines, ['+ idling', '* BYE imapdbg says bye']);
    replayed.destroy();
  } finally {
    child.kill();
  }
});

test('the real command line with --script: headless marks the drop and the injected BYE; the capture, stats and replay agree', async () => {
  const script = path.join(dir, 'drop-exists.cjs');
  fs.writeFileSync(script, `exports.onFrame = (frame) => {
  if (frame.direction !== 'server' || frame.verb !== 'EXISTS' || !frame.inIdle) return undefined;
  return [{ action: 'drop' }, { action: 'inject', text: '* BYE imapdbg says bye' }, { action: 'close' }];
};
`);
  const capture = path.join(dir, 'script.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `${dovecot.host}:${dovecot.port}`, '--headless', '--utc', '--record', capture, '--script', script]);
  try {
    const sock = net.connect(proxy.port, '127.0.0.1');
    await loginSelectAndIdle(sock);
    await readUntil(sock, (l) => l.startsWith('+'));
    await appendMessage(dovecot, 'alice', 'INBOX', makeMessage(500, 'pushed by script'));
    assert.deepEqual(await readUntil(sock, (l) => l.startsWith('* BYE')), ['* BYE imapdbg says bye']);
    sock.destroy();
    // An event to wait for (the session's end in the headless output), bounded, not a timed assertion.
    for (let waited = 0; waited < 20_000 && !/#1 -- session closed/.test(proxy.stdout()); waited += 50) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await proxy.stop('SIGINT');
  }
  const live = proxy.stdout();
  assert.match(live, /#1 S: \* \d+ EXISTS[^\n]*\n[^\n]*#1 xx dropped by script [^\n]*drop-exists\.cjs:onFrame \(frame \d+, toward the client\)/, live);
  assert.match(live, /#1 P>C: [^\n]*BYE imapdbg says bye[^\n]*\[injected by script [^\n]*drop-exists\.cjs:onFrame/, live);
  assert.doesNotMatch(live, /idle-connection-lost/);
  const stats = await runCli(['stats', capture]);
  assert.match(stats.stdout, /changes {3}script [^\n]*drop-exists\.cjs:onFrame: close 1, drop 1, inject 1 \(24 bytes\)\n/, stats.stdout);
  const { child, match } = await startCli(['replay', capture, '--serve', '127.0.0.1:0'], /on 127\.0\.0\.1:(\d+)\n/);
  try {
    const replayed = net.connect(Number(match[1]), '127.0.0.1');
    await loginSelectAndIdle(replayed);
    assert.deepEqual(await readUntil(replayed, (l) => l.startsWith('* BYE')), ['+ idling', '* BYE imapdbg says bye']);
    replayed.destroy();
  } finally {
    child.kill();
  }
});
