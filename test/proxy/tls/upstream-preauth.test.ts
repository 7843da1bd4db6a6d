// --upstream-starttls against a server that greets with PREAUTH (RFC 3501 7.1.4): STARTTLS is
// impossible in the authenticated state, so imapdbg must not go on in clear text. Dovecot cannot
// be made to PREAUTH over TCP, so the server here is a three-line fake; the client is the real CLI's
// peer over a raw socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readUntil } from '../../harness/lines';
import { startImapdbgProxy } from '../../harness/imapdbg-process';
import { captureEvents } from '../../e2e/capture-check';

test('a PREAUTH greeting on a connection that wanted STARTTLS: the client gets * BYE, the capture says why, nothing is sent in clear', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-preauth-'));
  const received: Buffer[] = [];
  const server = net.createServer((s) => {
    s.on('data', (d: Buffer) => received.push(d));
    s.on('error', () => {});
    s.write('* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as alice\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const capture = path.join(dir, 'preauth.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${(server.address() as net.AddressInfo).port}`, '--upstream-starttls',
    '--ca-dir', path.join(dir, 'ca'), '--headless', '--record', capture]);
  const client = net.connect(proxy.port, '127.0.0.1');
  try {
    client.write('a1 SELECT INBOX\r\n');
    const lines = await readUntil(client, (l) => l.startsWith('* BYE'));
    assert.match(lines[0], /^\* PREAUTH/);
    assert.match(lines[lines.length - 1], /^\* BYE \[UNAVAILABLE\] imapdbg: the server greeted with PREAUTH, so STARTTLS is impossible/);
  } finally {
    client.destroy();
    assert.equal(await proxy.stop(), 0, proxy.stderr());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  // The client's command never reached the server, and imapdbg did not try STARTTLS either.
  assert.equal(Buffer.concat(received).length, 0, Buffer.concat(received).toString('latin1'));
  const events = await captureEvents(capture);
  assert.ok(events.some((e) => e.type === 'finding' && e.finding.code === 'preauth-instead-of-starttls'));
  fs.rmSync(dir, { recursive: true, force: true });
});
