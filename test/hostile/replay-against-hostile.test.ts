// `imapdbg replay --against` facing a hostile server (a fake one over loopback), run as a user would:
// a server that floods an exchange with untagged responses, and one that sends a line of 64 MB
// without CRLF. The replay must stay bounded, finish and report the difference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { runCli } from '../fixtures-tools/run-cli';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/login-literal.imapcap');
const NO_TIMEOUT = 3_600_000;

/**
 * A fake IMAP server: a greeting, `TAG OK` to every command, `* BYE` to LOGOUT; `onList` writes
 * what it likes before LIST's tagged OK.
 */
async function fakeServer(onList: (socket: net.Socket, tag: string) => Promise<void>): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('* OK [CAPABILITY IMAP4rev1] fake ready\r\n');
    let pending = '';
    let busy = Promise.resolve();
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n')) >= 0) {
        const [tag, verb] = pending.slice(0, i).split(' ');
        pending = pending.slice(i + 2);
        busy = busy.then(async () => {
          if (verb?.toUpperCase() === 'LIST') await onList(socket, tag);
          if (verb?.toUpperCase() === 'LOGOUT') socket.write('* BYE Logging out\r\n');
          socket.write(`${tag} OK done\r\n`);
          if (verb?.toUpperCase() === 'LOGOUT') socket.end();
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return { port: address.port, close: () => server.close() };
}

function writeAll(socket: net.Socket, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.write(data)) resolve();
    else socket.once('drain', resolve);
  });
}

test('a server flooding an exchange: the responses beyond the bound are counted, the diff is shown', async () => {
  const flood = 200_000;
  const fake = await fakeServer(async (socket) => {
    for (let i = 0; i < flood; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) chunk += `* LIST () "." box${j}\r\n`;
      await writeAll(socket, Buffer.from(chunk));
    }
  });
  try {
    const r = await runCli(['replay', FIXTURE, '--against', `127.0.0.1:${fake.port}`, '--user', 'alice', '--password', 'pw'], NO_TIMEOUT);
    assert.equal(r.code, 1, r.stderr);
    // The old replay kept every response of the exchange for its diff.
    assert.match(r.stdout, new RegExp(`^\\+\\(${flood - 10_000} more responses not kept\\)$`, 'm'));
    assert.match(r.stdout, /exchanges differ/);
  } finally {
    fake.close();
  }
});

test('a server line of 64 MB without CRLF: compared by its kept start and its length', async () => {
  const fake = await fakeServer(async (socket) => {
    const piece = Buffer.alloc(1024 * 1024, 'y');
    await writeAll(socket, Buffer.from('* LIST () "." '));
    for (let i = 0; i < 64; i++) await writeAll(socket, piece);
    await writeAll(socket, Buffer.from('\r\n'));
  });
  try {
    const r = await runCli(['replay', FIXTURE, '--against', `127.0.0.1:${fake.port}`, '--user', 'alice', '--password', 'pw'], NO_TIMEOUT);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^\+\* LIST \(\) "\." y+«[0-9]+ more bytes»$/m);
    assert.ok(r.stdout.length < 1024 * 1024, `stdout has ${r.stdout.length} bytes`);
  } finally {
    fake.close();
  }
});
