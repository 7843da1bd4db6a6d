// Hostile peers against the real bin/imapdbg: a server that never answers while a client pipelines
// hundreds of thousands of commands (pairing must stay bounded and say what it forgot), and
// 130k distinct command names (the summary must still print, and exit 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';

/** A server that greets, then reads everything and answers nothing; resolves with each connection's byte count when it closes. */
async function silentServer(): Promise<{ port: number; received: (n: number) => Promise<void>; close(): Promise<void> }> {
  let total = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write('* OK [CAPABILITY IMAP4rev1 LITERAL+] silent server ready\r\n');
    s.on('data', (d: Buffer) => {
      total += d.length;
      for (const w of waiters.splice(0)) if (total >= w.n) w.resolve(); else waiters.push(w);
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: (n) => new Promise<void>((resolve) => { if (total >= n) resolve(); else waiters.push({ n, resolve }); }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Connect to the proxy, wait for the greeting, send `bytes`, wait until the server has them all, close. */
async function pipeline(port: number, bytes: Buffer, serverGot: (n: number) => Promise<void>, greetingLength: number): Promise<void> {
  const client = net.connect({ port, host: '127.0.0.1' });
  client.on('error', () => undefined);
  let seen = 0;
  await new Promise<void>((resolve) => client.on('data', (d: Buffer) => { seen += d.length; if (seen >= greetingLength) resolve(); }));
  client.write(bytes);
  await serverGot(bytes.length);
  await new Promise<void>((resolve) => { client.once('close', () => resolve()); client.end(); });
}

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 50));
}

const GREETING = '* OK [CAPABILITY IMAP4rev1 LITERAL+] silent server ready\r\n';

test('200k pipelined NOOPs that are never answered: the proxy survives, forgets the oldest, and says so', async () => {
  const server = await silentServer();
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${server.port}`, '--headless']);
  try {
    const n = 200_000;
    const lines: string[] = [];
    for (let i = 1; i <= n; i += 1) lines.push(`n${i} NOOP\r\n`);
    await pipeline(proxy.port, Buffer.from(lines.join(''), 'latin1'), server.received, GREETING.length);
    await waitFor(() => /#1 -- session closed/.test(proxy.stdout()));
    const code = await proxy.stop('SIGTERM');
    assert.equal(code, 0, proxy.stderr());
    const out = proxy.stdout();
    assert.match(out, /warning pending-commands-forgotten[^\n]*more than 10000 commands wait for a response/);
    assert.match(out, /pending-commands-forgotten[^\n]*190000 commands forgotten unanswered/);
    assert.match(out, /NOOP\s+200000\s+-\s+-\s+-\s+\(200000 unanswered\)/);
    assert.match(out, /pending-commands-forgotten 2/);
    assert.doesNotMatch(out, /unknown-tag/);
  } finally {
    await proxy.stop('SIGKILL');
    await server.close();
  }
});

test('130k distinct command names: the end summary and `imapdbg stats` print a bounded table and exit 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-model-'));
  const capture = path.join(dir, 'many-verbs.imapcap');
  const server = await silentServer();
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${server.port}`, '--headless', '--record', capture]);
  try {
    const n = 130_000;
    const lines: string[] = [];
    for (let i = 1; i <= n; i += 1) lines.push(`t${i} VERB${i}\r\n`);
    await pipeline(proxy.port, Buffer.from(lines.join(''), 'latin1'), server.received, GREETING.length);
    await waitFor(() => /#1 -- session closed/.test(proxy.stdout()));
    const code = await proxy.stop('SIGTERM');
    assert.equal(code, 0, proxy.stderr());
    const summary = proxy.stdout().slice(proxy.stdout().lastIndexOf('\nsession #1: '));
    assert.match(summary, /\(other names\)\s+129900 /);
    assert.ok(summary.split('\n').length < 200, 'the table is bounded');
    const stats = await runImapdbg(['stats', capture]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout.toString(), /\(other names\)\s+129900 /);
    assert.doesNotMatch(stats.stderr, /Maximum call stack/);
  } finally {
    await proxy.stop('SIGKILL');
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
