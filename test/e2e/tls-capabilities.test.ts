// Issue 9 item 14: with implicit TLS on the server leg (`--upstream-tls`), the capability lists the
// server sends arrive over TLS from the first byte, so their annotation says tls=true: live in
// the headless view, and again when a capture is reframed (`export --format text`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';

let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-tls-caps-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Greeting, CAPABILITY, LOGOUT over TLS; resolves when the server has closed. */
function capabilityDialog(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    let text = '';
    let sent = false;
    s.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      if (!sent && text.includes('\r\n')) { sent = true; s.write('a CAPABILITY\r\nb LOGOUT\r\n'); }
    });
    s.on('error', reject);
    s.on('close', () => resolve(text));
  });
}

test('--tls --upstream-tls: the capabilities annotations say tls=true, live and reframed from the capture', async () => {
  const caDir = path.join(dir, 'ca');
  const capture = path.join(dir, 'caps.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.tlsPort}`, '--tls', '--upstream-tls', '--upstream-ca', dovecot.certPath,
    '--ca-dir', caDir, '--headless', '--record', capture]);
  try {
    const text = await capabilityDialog(proxy.port, fs.readFileSync(path.join(caDir, 'ca-cert.pem')));
    assert.match(text, /a OK/);
  } finally {
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const live = proxy.stdout().split('\n').filter((l) => l.includes('[capabilities '));
  assert.ok(live.length >= 2, proxy.stdout());
  for (const line of live) assert.match(line, /\[capabilities [^\]]*tls=true/, line);
  const exported = await runImapdbg(['export', capture, '--format', 'text']);
  assert.equal(exported.code, 0, exported.stderr);
  const reframed = exported.stdout.toString().split('\n').filter((l) => l.includes('[capabilities '));
  assert.equal(reframed.length, live.length, exported.stdout.toString());
  for (const line of reframed) assert.match(line, /\[capabilities [^\]]*tls=true/, line);
});
