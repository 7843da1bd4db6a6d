// Issue 9 item 9, SNI side, end to end: a client that presents 300 distinct SNI names to the real
// bin/imapdbg (implicit TLS) leaves at most 256 leaves in the CA's leaf cache, and a crafted SNI
// (control characters, an over-long label) never becomes a certificate name; the session works.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startImapdbgProxy, type ImapdbgProcess } from '../harness/imapdbg-process';

let dir: string;
let upstream: net.Server;
let proxy: ImapdbgProcess;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-amplify-sni-'));
  upstream = net.createServer((s) => {
    s.on('error', () => undefined);
    s.write('* OK fake\r\n');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startImapdbgProxy(['--tls', '--ca-dir', path.join(dir, 'ca'), '--headless',
    '--upstream', `127.0.0.1:${(upstream.address() as net.AddressInfo).port}`], 60_000);
});
after(async () => {
  await proxy?.stop();
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** TLS through the proxy with this SNI: the certificate's SAN and the greeting. */
function handshake(servername: string): Promise<{ san: string; greeting: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: proxy.port, servername, rejectUnauthorized: false }, () => {
      const san = s.getPeerCertificate().subjectaltname ?? '';
      s.once('data', (d: Buffer) => { s.destroy(); resolve({ san, greeting: d.toString('latin1') }); });
    });
    s.once('error', reject);
  });
}

test('300 distinct SNI names leave at most 256 files in the leaf cache; every client gets its leaf', async () => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < 300) {
      const i = next++;
      const { san, greeting } = await handshake(`host${i}.storm.test`);
      assert.match(san, new RegExp(`DNS:host${i}\\.storm\\.test`));
      assert.match(greeting, /^\* OK/);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const files = fs.readdirSync(path.join(dir, 'ca', 'leaves'));
  assert.ok(files.length <= 256, `${files.length} files in the leaf cache`);
});

test('a crafted SNI is not put in a certificate; the session still works', async () => {
  for (const sni of ['evil\u001b]0;title\u0007.test', `${'a'.repeat(64)}.test`, 'a/../b.test']) {
    const { san, greeting } = await handshake(sni);
    assert.doesNotMatch(san, /evil|aaaaaaaa|b\.test|DNS:a,|DNS:a$/, san);
    assert.match(greeting, /^\* OK/);
  }
});
