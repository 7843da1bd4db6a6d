// Hostile SASL peers through the real bin/imapdbg: a server whose OAuth2 error challenge is JSON
// with terminal escapes, thousands of keys and a huge value; a client whose XOAUTH2 line is 100 KB.
// The proxy stays up, forwards every byte, prints escaped and bounded annotations and no token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { readUntil } from '../harness/lines';

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');
const TOKEN = 'HOSTILE-TOKEN-0123456789';

test('hostile OAuth2 error JSON and an oversized XOAUTH2 line: escaped, bounded, token masked, proxy up', async () => {
  const keys: Record<string, string> = { status: '401\x1b]0;pwned\x07\x9b2J\u202e', scope: 'y'.repeat(3_000) };
  for (let i = 0; i < 300; i += 1) keys[`k${i}`] = 'v';
  const errorChallenge = `+ ${b64(Buffer.from(JSON.stringify(keys), 'utf8').toString('latin1'))}\r\n`;
  const received: string[] = [];
  const server = net.createServer((sock) => {
    sock.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hostile\r\n');
    let buf = '';
    // Each AUTHENTICATE: "+" (without SASL-IR), the error challenge, then NO to the client's answer.
    let auth: { tag: string; next: 'response' | 'ack' } | undefined;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        received.push(line);
        const tag = line.split(' ')[0];
        if (auth?.next === 'ack') {
          sock.write(`${auth.tag} NO [AUTHENTICATIONFAILED] no\r\n`);
          auth = undefined;
        } else if (auth?.next === 'response') {
          auth.next = 'ack';
          sock.write(errorChallenge);
        } else if (/ AUTHENTICATE XOAUTH2 /i.test(line)) {
          auth = { tag, next: 'ack' };
          sock.write(errorChallenge);
        } else if (/ AUTHENTICATE XOAUTH2$/i.test(line)) {
          auth = { tag, next: 'response' };
          sock.write('+ \r\n');
        } else if (/ LOGOUT/i.test(line)) sock.end(`* BYE\r\n${tag} OK bye\r\n`);
        else sock.write(`${tag} NO no\r\n`);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-sasl-hostile-'));
  const capture = path.join(dir, 'h.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${(server.address() as net.AddressInfo).port}`, '--headless', '--record', capture]);
  try {
    const sock = net.connect(proxy.port, '127.0.0.1');
    await readUntil(sock, () => true);
    const hugeIr = b64(`user=${'u'.repeat(75_000)}\x01auth=Bearer ${TOKEN}\x01\x01`);
    sock.write(`a1 AUTHENTICATE XOAUTH2 ${hugeIr}\r\n`);
    await readUntil(sock, (l) => l.startsWith('+ '));
    sock.write('\r\n');
    await readUntil(sock, (l) => l.startsWith('a1 '));
    sock.write('a2 AUTHENTICATE XOAUTH2\r\n');
    await readUntil(sock, (l) => l.startsWith('+ '));
    sock.write(`${b64(`user=bob\x01auth=Bearer ${TOKEN}\x01\x01`)}\r\n`);
    await readUntil(sock, (l) => l.startsWith('+ '));
    sock.write(`${b64('\x01')}\r\n`);
    await readUntil(sock, (l) => l.startsWith('a2 '));
    sock.write('a3 LOGOUT\r\n');
    await readUntil(sock, (l) => l.startsWith('a3 '));
    sock.destroy();
  } finally {
    await proxy.stop();
    server.close();
  }
  try {
    assert.equal(received[0], `a1 AUTHENTICATE XOAUTH2 ${b64(`user=${'u'.repeat(75_000)}\x01auth=Bearer ${TOKEN}\x01\x01`)}`, 'forwarded unchanged');
    const headless = proxy.stdout();
    const exported = (await runImapdbg(['export', capture])).stdout.toString();
    for (const out of [headless, exported]) {
      assert.ok(!out.includes(TOKEN), 'no token');
      assert.doesNotMatch(out, /[\x1b\x07\x9b\u202e]/, 'no raw terminal controls');
      assert.match(out, /step=server-error status=401\\x1b\]0;pwned\\x07\\x9b2J\\u\{202e\}/);
      assert.match(out, / more=true\]/);
      assert.match(out, /scope=y{256}\.\.\. /);
      assert.match(out, /step=client-response user=bob scheme=Bearer token=\*{8}\]/);
      assert.match(out, /step=error-acknowledged\]/);
      assert.doesNotMatch(out, /unknown-tag/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
