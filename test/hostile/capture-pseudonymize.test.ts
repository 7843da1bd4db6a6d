// Hostile mailbox names through the real proxy into a pseudonymized export: a fake server over
// loopback answers LIST with names that are quoted with escapes, sent as a literal, full of terminal
// escapes, nested, and echoed in status text; the client SELECTs them. The pseudonymized copy has
// none of them, keeps every packet length, and every reader still opens it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { run, tmpDir } from '../capture/pcapng/pcapng-support';

const LIST_ANSWER = [
  '* LIST () "/" "Qu\\"oted\\\\Zebra"',
  '* LIST () "/" {11}\r\nLiteralYak!',
  '* LIST () "/" "Esc\x1b[31mRedFox"',
  '* LIST () "/" Deep/Nested/Okapi',
  'a1 OK LIST done, Okapi included',
].join('\r\n') + '\r\n';

function fakeServer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.write('* OK hostile names ready\r\n');
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      let nl: number;
      while ((nl = seen.indexOf('\r\n')) !== -1) {
        let line = seen.slice(0, nl);
        // A non-synchronizing literal: its bytes and the rest of the command come without waiting.
        const lit = /\{(\d+)\+\}$/.exec(line);
        if (lit) {
          const end = seen.indexOf('\r\n', nl + 2 + Number(lit[1]));
          if (end === -1) break;
          line = seen.slice(0, end);
          nl = end;
        }
        seen = seen.slice(nl + 2);
        const tag = line.split(' ')[0];
        if (/ LIST /.test(line)) socket.write(LIST_ANSWER);
        else if (/ SELECT /.test(line)) socket.write(`${tag} NO Mailbox doesn't exist: Deep/Nested/Okapi\r\n`);
        else if (/ LOGOUT/.test(line)) { socket.end(`* BYE\r\n${tag} OK bye\r\n`); }
        else socket.write(`${tag} OK\r\n`);
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function client(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let sent = 0;
    socket.on('data', (d) => {
      got += d.toString('latin1');
      // One command after each tagged answer (and the greeting).
      const tagged = (got.match(/^(?:a\d+ (?:OK|NO|BAD)|\* OK hostile)/gm) ?? []).length;
      while (sent < tagged && sent < lines.length) socket.write(`${lines[sent++]}\r\n`);
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

test('hostile mailbox names: none left in a pseudonymized copy, every reader opens it', async () => {
  const dir = tmpDir();
  const server = await fakeServer();
  try {
    const port = (server.address() as net.AddressInfo).port;
    const original = path.join(dir, 'hostile.pcapng');
    const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${port}`, '--headless', '--record', original]);
    try {
      const got = await client(proxy.port, ['a1 LIST "" *', 'a2 SELECT "Qu\\"oted\\\\Zebra"', 'a3 SELECT {11+}\r\nLiteralYak!', 'a4 SELECT Deep/Nested/Okapi', 'a5 LOGOUT']);
      assert.match(got, /a5 OK bye/);
    } finally {
      assert.equal(await proxy.stop(), 0, proxy.stderr());
    }
    const copy = path.join(dir, 'copy.pcapng');
    const r = await runImapdbg(['export', original, '--format', 'pcapng', '--pseudonymize', '-o', copy]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes('\n    at '), 'no stack trace');
    const before = fs.readFileSync(original);
    const after = fs.readFileSync(copy);
    for (const name of ['oted', 'Zebra', 'LiteralYak', 'RedFox', 'Nested', 'Okapi']) {
      assert.ok(before.includes(name), `the capture holds ${name}`);
      assert.ok(!after.includes(name), `the copy holds no ${name}`);
    }
    for (const args of [['export'], ['export', '--format', 'json'], ['lint'], ['stats'], ['export', '--session', '1', '--format', 'raw', '--direction', 'server']]) {
      const a = await runImapdbg([...args.slice(0, 1), original, ...args.slice(1)]);
      const b = await runImapdbg([...args.slice(0, 1), copy, ...args.slice(1)]);
      assert.equal(b.code, a.code, `${args.join(' ')}: ${b.stderr}`);
      if (args.includes('raw')) assert.equal(b.stdout.length, a.stdout.length);
    }
    assert.equal(run('capinfos', [copy]).status, 0);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
