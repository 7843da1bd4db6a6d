// `imapdbg proxy --record`: a file already there, a symbolic link planted where the capture goes,
// and a disk that fills up. The real bin/imapdbg in front of a fake IMAP server on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { IMAPDBG, shellQuote, TmuxPane } from '../tui/tmux-pane';

let dir: string;
let server: net.Server;
let upstream: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-record-'));
  // Greets, then answers every line with a tagged OK.
  server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('* OK fake ready\r\n');
    let buffer = '';
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const tag = buffer.slice(0, i).split(' ')[0];
        buffer = buffer.slice(i + 1);
        socket.write(`${tag} OK done\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Connects through the proxy, reads the greeting, sends one command and reads its answer. */
async function dialog(port: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got === '* OK fake ready\r\n') socket.write('a1 NOOP\r\n');
      if (got.endsWith('a1 OK done\r\n')) resolve();
    });
  });
  socket.destroy();
  return got;
}

function assertOneLineExit2(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^imapdbg: [^\n]*\n$/);
  assert.match(r.stderr, pattern);
}

test('--record refuses an existing file (untouched) unless --force, which truncates it to a fresh 0600 capture', async () => {
  const existing = path.join(dir, 'existing.pcapng');
  fs.writeFileSync(existing, 'a capture from yesterday\n', { mode: 0o644 });
  const refused = await runImapdbg(['proxy', '--listen', '127.0.0.1:0', '--upstream', upstream, '--headless', '--record', existing]);
  assertOneLineExit2(refused, /cannot write capture .*existing\.pcapng: it exists \(pass --force to overwrite it\)/);
  assert.equal(fs.readFileSync(existing, 'utf8'), 'a capture from yesterday\n');

  const proxy = await startImapdbgProxy(['--upstream', upstream, '--headless', '--record', existing, '--force']);
  assert.equal(await dialog(proxy.port), '* OK fake ready\r\na1 OK done\r\n');
  assert.equal(await proxy.stop('SIGINT'), 0, proxy.stderr());
  // A fresh pcapng capture: its section header first, and imapdbg reads the one session from it.
  assert.equal(fs.readFileSync(existing).readUInt32LE(0), 0x0a0d0d0a);
  const text = await runImapdbg(['export', existing]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout.toString(), / C: a1 /);
  assert.equal(fs.statSync(existing).mode & 0o777, 0o600);
});

test('--record never follows a symbolic link, even with --force: the link target is not created or truncated', async () => {
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'must survive');
  const link = path.join(dir, 'planted.pcapng');
  fs.symlinkSync(victim, link);
  const dangling = path.join(dir, 'dangling.pcapng');
  fs.symlinkSync(path.join(dir, 'created-through-link'), dangling);
  for (const [target, extra] of [[link, []], [link, ['--force']], [dangling, []], [dangling, ['--force']]] as const) {
    const r = await runImapdbg(['proxy', '--listen', '127.0.0.1:0', '--upstream', upstream, '--headless', '--record', target, ...extra]);
    assertOneLineExit2(r, /cannot write capture .*: it is a symbolic link \(not followed; name the file itself\)/);
  }
  assert.equal(fs.readFileSync(victim, 'utf8'), 'must survive');
  assert.equal(fs.existsSync(path.join(dir, 'created-through-link')), false);
});

test('a full disk while recording: a warning line at once, and forwarding goes on', { skip: !fs.existsSync('/dev/full') }, async () => {
  // /dev/full fails every write with ENOSPC, as a full disk does (a tmpfs needs mount rights).
  const proxy = await startImapdbgProxy(['--upstream', upstream, '--headless', '--record', '/dev/full', '--force']);
  // The warning comes while the proxy runs (the header write already fails), not at shutdown.
  await new Promise<void>((resolve) => {
    const poll = (): void => { if (/recording to \/dev\/full stopped/.test(proxy.stderr())) resolve(); else proxy.child.stderr?.once('data', poll); };
    poll();
  });
  assert.match(proxy.stderr(), /^imapdbg: recording to \/dev\/full stopped: .*ENOSPC.*; still forwarding$/m);
  for (let i = 0; i < 3; i++) assert.equal(await dialog(proxy.port), '* OK fake ready\r\na1 OK done\r\n');
  assert.equal(proxy.stderr().match(/recording to \/dev\/full stopped/g)?.length, 1, 'warned once');
  const code = await proxy.stop('SIGINT');
  assert.equal(code, 2);
  assert.match(proxy.stderr(), /^imapdbg: capture \/dev\/full is incomplete: .*ENOSPC/m);
  assert.doesNotMatch(proxy.stderr(), /^\s+at /m);
});

test('a full disk while recording under the TUI: the status line says so, and forwarding goes on', { skip: !fs.existsSync('/dev/full'), timeout: 120_000 }, async () => {
  const pane = TmuxPane.start(100, 24);
  try {
    await pane.waitFor(/^\$\s*$/m, 'the shell prompt');
    pane.run(`node ${shellQuote(IMAPDBG)} proxy --listen 127.0.0.1:0 --upstream ${upstream} --record /dev/full --force`);
    // The stderr line scrolls away when the screen opens: the warning must be on the UI's own screen.
    const screen = await pane.waitFor((s) => / → 127\.0\.0\.1:/.test(s) && !/\$ node /.test(s) && /recording to \/dev\/full stopped/.test(s),
      'the warning on the UI screen');
    const port = Number(/127\.0\.0\.1:(\d+) → /.exec(screen)?.[1]);
    assert.ok(port > 0, screen);
    assert.equal(await dialog(port), '* OK fake ready\r\na1 OK done\r\n');
  } finally {
    pane.kill();
  }
});
