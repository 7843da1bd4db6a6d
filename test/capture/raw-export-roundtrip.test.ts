// Capture -> `export --format raw` is byte-equal to what each peer saw: a raw-socket client through
// the proxy to a real Dovecot keeps every byte it sent and received, literals and a big FETCH included.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { readUntil, tagged } from '../harness/lines';
import { recordThroughProxy } from '../fixtures-tools/record-through-proxy';
import { fixtureMessage } from '../fixtures-tools/fixture-messages';
import { runCli } from '../fixtures-tools/run-cli';

let inst: DovecotInstance;
let dir: string;

before(async () => {
  inst = await startDovecot();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-raw-'));
  await appendMessage(inst, 'alice', 'INBOX', fixtureMessage(1, 'big one', 300 * 1024));
});

after(async () => {
  await inst.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('raw export of each direction equals the bytes the client sent and received', async () => {
  const capture = path.join(dir, 'raw.imapcap');
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  await recordThroughProxy(inst, capture, async (proxy) => {
    const s = net.connect(proxy.port, proxy.host);
    s.on('data', (d: Buffer) => received.push(Buffer.from(d)));
    const send = (text: string): void => { const b = Buffer.from(text, 'latin1'); sent.push(b); s.write(b); };
    await readUntil(s, () => true);
    send('r1 LOGIN {5}\r\n');
    await readUntil(s, (l) => l.startsWith('+'));
    send(`alice "${inst.users.alice}"\r\n`);
    await readUntil(s, tagged('r1'));
    send('r2 SELECT INBOX\r\nr3 FETCH 1 BODY.PEEK[]\r\n');
    await readUntil(s, tagged('r3'));
    send('r4 LOGOUT\r\n');
    await readUntil(s, tagged('r4'));
    s.end();
    await new Promise((r) => s.once('close', r));
  });
  for (const [direction, expected] of [['client', Buffer.concat(sent)], ['server', Buffer.concat(received)]] as const) {
    const out = path.join(dir, `${direction}.bin`);
    const r = await runCli(['export', capture, '--format', 'raw', '--session', '1', '--direction', direction, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.readFileSync(out).equals(expected), `${direction} bytes differ`);
  }
  assert.ok(Buffer.concat(received).length > 300 * 1024);
});
