// Issue 9 item 10: strings from a peer (mailbox names, tags, verbs, greeting text) carrying
// terminal escapes (ESC ] 0; ... BEL, CSI, the 8-bit CSI 0x9b, bidi overrides) must reach no
// output raw: the headless view with its end summary, `export --format text` and `json`, `stats`
// and `lint`. A fake server and a raw client through the real bin/imapdbg.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readUntil } from '../harness/lines';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { onLines, terminalHazards } from './terminal-hazards';

const TITLE = '\x1b]0;pwned\x07';
const CSI = '\x1b[2J';
const C1_CSI = '\x9b31m';
/** RIGHT-TO-LEFT OVERRIDE and LEFT-TO-RIGHT ISOLATE as the UTF-8 bytes a peer sends, one latin1 char per byte. */
const BIDI = Buffer.from('\u202e\u2066', 'utf8').toString('latin1');
const HOSTILE = `${TITLE}${CSI}${C1_CSI}${BIDI}`;

let dir: string;
let server: net.Server;
let upstreamPort: number;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-escapes-'));
  server = net.createServer((socket) => {
    const send = (text: string): void => { socket.write(Buffer.from(text, 'latin1')); };
    send(`* OK [CAPABILITY IMAP4rev1 IDLE] ready ${HOSTILE}\r\n`);
    onLines(socket, (line) => {
      const tag = line.split(' ')[0] ?? '*';
      if (/ SELECT /i.test(line)) send(`* 3 EXISTS\r\n* \x9bEVIL${TITLE} x\r\n${tag} OK [READ-WRITE] done ${CSI}\r\n`);
      else if (/ LOGOUT/i.test(line)) { send(`* BYE ${TITLE}\r\n${tag} OK bye\r\n`); socket.end(); }
      else send(`zz\x9b${BIDI} OK stray ${TITLE}\r\n${tag} OK done ${C1_CSI}\r\n`);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstreamPort = (server.address() as net.AddressInfo).port;
});
after(() => {
  server?.close();
  if (dir && !process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

function assertSafe(what: string, out: Buffer | string): void {
  const hazards = terminalHazards(out);
  assert.deepEqual(hazards, [], `${what} printed terminal controls raw:\n${hazards.join('\n')}`);
}

test('mailbox names, tags, verbs and server text with terminal escapes are escaped in headless, export, stats and lint', async () => {
  const capture = path.join(dir, 'escapes.imapcap');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${upstreamPort}`, '--headless', '--record', capture, '--utc']);
  const client = net.connect(proxy.port, '127.0.0.1');
  try {
    const send = (text: string): void => { client.write(Buffer.from(text, 'latin1')); };
    await readUntil(client, (l) => l.startsWith('* OK'));
    send(`a1 SELECT "INBOX${HOSTILE}"\r\n`);
    await readUntil(client, (l) => l.startsWith('a1 '));
    send(`\x9bt2 NOOP\r\n`);
    await readUntil(client, (l) => l.startsWith('\x9bt2 '));
    send(`a3 N\x9bOP${BIDI}\r\n`);
    await readUntil(client, (l) => l.startsWith('a3 '));
    send('a4 LOGOUT\r\n');
    await readUntil(client, (l) => l.startsWith('a4 '));
  } finally {
    client.destroy();
  }
  assert.equal(await proxy.stop(), 0, proxy.stderr());
  const headless = proxy.stdout();
  assertSafe('headless (with the end summary)', headless);
  assertSafe('proxy stderr', proxy.stderr());
  // The hostile strings did reach the output, escaped: the test is not vacuous.
  assert.match(headless, /mailbox=INBOX\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m/, headless);
  assert.match(headless, /N\\x9bOP/, 'the C1 verb is not in the end summary');

  for (const args of [['export', capture, '--utc'], ['export', capture, '--format', 'json'], ['stats', capture], ['lint', capture, '--utc'],
    ['export', capture, '--reveal-secrets', '--utc']]) {
    const r = await runImapdbg(args);
    assert.ok(r.code === 0 || (args[0] === 'lint' && r.code === 1), `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    assert.ok(r.stdout.length > 0, `${args.join(' ')} printed nothing`);
    assertSafe(args.join(' '), r.stdout);
    assertSafe(`${args.join(' ')} (stderr)`, r.stderr);
    if (args.includes('json')) {
      // Escaped as \uNNNN, the JSON still parses to the very same strings.
      const frames = r.stdout.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { verb?: string; tag?: string });
      assert.ok(frames.some((f) => f.verb?.startsWith('N\x9bOP\xc2\x80')), 'the JSON lost the verb');
    }
  }
  const stats = await runImapdbg(['stats', capture]);
  assert.match(stats.stdout.toString('utf8'), /N\\x9bOP/);
});
