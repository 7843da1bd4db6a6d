// Hostile SOCKS5 clients against the real bin/imapdbg --socks: malformed greetings, BIND and UDP
// ASSOCIATE, a 255-byte name, terminal escapes in a name, an IMAP client on the SOCKS port (talking
// or waiting), SOCKS4, a wrong password, a client that leaves mid-CONNECT. Each gets a SOCKS error
// or a close, costs one escaped stderr line, and the proxy keeps serving (a good CONNECT after all
// of them works) and exits 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCountingUpstream, type CountingUpstream, GREETING } from '../harness/counting-upstream';
import { startImapdbgProxy, type ImapdbgProcess } from '../harness/imapdbg-process';
import { pollUntil } from './sockets-rig';

let upstream: CountingUpstream;
let dir: string;
let proxy: ImapdbgProcess;
let authed: ImapdbgProcess;

before(async () => {
  upstream = await startCountingUpstream();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-socks-hostile-'));
  const common = ['--imap-ports', String(upstream.port), '--ca-dir', path.join(dir, 'ca'), '--headless', '--handshake-timeout', '1'];
  proxy = await startImapdbgProxy(['--socks', '127.0.0.1:0', ...common]);
  authed = await startImapdbgProxy(['--socks', '127.0.0.1:0', '--socks-auth', 'debug:Pa55-word', ...common]);
});
after(async () => {
  for (const p of [proxy, authed]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
  await upstream?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Send `bytes` (or nothing), collect what comes back until the proxy closes the connection. */
function exchange(port: number, bytes: Buffer | undefined, opts: { end?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      if (bytes) s.write(bytes);
      if (opts.end) s.end();
    });
    s.on('data', (d) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}

const b = (...parts: (number[] | string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const request = (cmd: number, name: string, port: number): Buffer => b([5, cmd, 0, 3, name.length], name, [port >> 8, port & 0xff]);
const lineCount = (p: ImapdbgProcess): number => p.stderr().split('\n').filter((l) => l.includes('SOCKS client')).length;

test('malformed and unsupported requests: the SOCKS error a client understands, then a close; one line each', async () => {
  const cases: [string, Buffer, string, RegExp][] = [
    ['no methods', b([5, 0]), '', /malformed SOCKS5 greeting: no authentication methods offered/],
    ['version 6', b([6, 1, 0]), '', /malformed SOCKS5 greeting: version 0x06/],
    ['BIND', b([5, 1, 0], request(2, 'imap.example.org', 143)), '050005070001000000000000', /SOCKS BIND is not supported/],
    ['UDP ASSOCIATE', b([5, 1, 0], request(3, 'imap.example.org', 143)), '050005070001000000000000', /SOCKS UDP ASSOCIATE is not supported/],
    ['255-byte name', b([5, 1, 0], request(1, 'x'.repeat(255), 143)), '050005040001000000000000', /invalid host name "x{40}\.\.\.": 255 bytes, more than 253/],
    ['escapes in a name', b([5, 1, 0], request(1, 'a\x1b]0;pwned\x07b', 143)), '050005040001000000000000', /invalid host name "a\\x1b\]0;pwned\\x07b"/],
    ['IMAP to the SOCKS port', b('a1 CAPABILITY\r\n'), '', /not a SOCKS5 client \(it sent "a1 CAPABILITY\\x0d\\x0a"\)/],
    ['SOCKS4', b([4, 1, 0, 143, 127, 0, 0, 1, 0]), '005b000000000000', /a SOCKS4 client: imapdbg speaks SOCKS5 only/],
    ['address type 9', b([5, 1, 0], [5, 1, 0, 9]), '050005080001000000000000', /SOCKS address type 0x09 is not supported/],
  ];
  for (const [what, bytes, reply, line] of cases) {
    const before = lineCount(proxy);
    const got = await exchange(proxy.port, bytes);
    assert.equal(got.toString('hex'), reply, what);
    assert.ok(await pollUntil(() => lineCount(proxy) === before + 1), `${what}: one stderr line`);
    assert.match(proxy.stderr(), line, what);
  }
  assert.ok(!proxy.stderr().includes('\x1b') && !proxy.stderr().includes('\x07'), 'no control character reaches stderr');
});

test('an IMAP client that waits for a greeting on the SOCKS port is closed after the handshake timeout, with a hint', async () => {
  const got = await exchange(proxy.port, undefined);
  assert.equal(got.length, 0);
  assert.ok(await pollUntil(() => /sent nothing within 1 s \(an IMAP client pointed at the SOCKS port/.test(proxy.stderr())));
  // And one that stops in the middle of a request.
  await exchange(proxy.port, b([5, 1, 0], [5, 1, 0, 3, 20], 'abc'));
  assert.ok(await pollUntil(() => /no complete SOCKS request within 1 s \(request incomplete after 8 bytes/.test(proxy.stderr())), proxy.stderr());
  // A client that closes mid-greeting.
  await exchange(proxy.port, b([5, 3, 0]), { end: true });
  assert.ok(await pollUntil(() => /closed during the SOCKS negotiation \(greeting incomplete after 3 bytes/.test(proxy.stderr())), proxy.stderr());
});

test('RFC 1929: a wrong password gets status 1 and is in no output; no offer of username/password gets 0xFF', async () => {
  const wrong = await exchange(authed.port, b([5, 1, 2, 1, 5], 'debug', [5], 'guess', request(1, 'localhost', upstream.port)));
  assert.equal(wrong.toString('hex'), '05020101');
  const none = await exchange(authed.port, b([5, 1, 0]));
  assert.equal(none.toString('hex'), '05ff');
  assert.ok(await pollUntil(() => /SOCKS authentication failed for user "debug"/.test(authed.stderr())));
  assert.ok(!authed.stderr().includes('guess') && !authed.stderr().includes('Pa55-word'));
});

test('after all that, a good CONNECT still works (with and without authentication), and the proxy exits 0', async () => {
  for (const [p, hello] of [[proxy, b([5, 1, 0])], [authed, b([5, 1, 2, 1, 5], 'debug', [9], 'Pa55-word')]] as const) {
    const got = await new Promise<string>((resolve) => {
      let text = '';
      const s = net.connect({ port: p.port, host: '127.0.0.1' }, () => s.write(Buffer.concat([hello, request(1, 'localhost', upstream.port)])));
      s.on('data', (d) => {
        text += d.toString('latin1');
        if (text.includes(GREETING)) s.end();
      });
      s.on('error', () => undefined);
      s.on('close', () => resolve(text));
    });
    assert.ok(got.endsWith(GREETING), JSON.stringify(got));
    assert.equal(got.charCodeAt(got.length - GREETING.length - 9), 0, 'SOCKS reply succeeded');
  }
  assert.equal(await proxy.stop(), 0, proxy.stderr());
  assert.equal(await authed.stop(), 0, authed.stderr());
  assert.match(proxy.stdout(), /session opened: client \S+ -> upstream localhost:\d+ \(127\.0\.0\.1:\d+\)/);
});
