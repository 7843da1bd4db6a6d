// Issue 11, script hooks against hostile peers: a server sending terminal escapes, a 3 MB literal
// and a 2 MB line, through the real bin/imapdbg with a script that reads every view property and
// throws on every server frame with the frame's text. The client must receive exactly what the
// server sent, the proxy must keep serving, and nothing it prints may carry a raw terminal control.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startImapdbgProxy } from '../harness/imapdbg-process';
import { onLines, terminalHazards } from './terminal-hazards';

const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\x9b31m';
const LITERAL = 3 * 1024 * 1024;
const LONG_LINE = 2 * 1024 * 1024;

let dir: string;
let server: net.Server;
let upstreamPort: number;
/** What the server wrote, per connection. */
const sent: Buffer[][] = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-scripts-'));
  server = net.createServer((socket) => {
    const mine: Buffer[] = [];
    sent.push(mine);
    const send = (bytes: Buffer | string): void => {
      const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
      mine.push(b);
      socket.write(b);
    };
    send(`* OK [CAPABILITY IMAP4rev1 IDLE] ready ${HOSTILE}\r\n`);
    onLines(socket, (line) => {
      const tag = line.split(' ')[0] ?? '*';
      if (/ FETCH /i.test(line)) {
        send(`* 1 FETCH (BODY[] {${LITERAL}}\r\n`);
        send(Buffer.alloc(LITERAL, 0x1b));
        send(`)\r\n${tag} OK done ${HOSTILE}\r\n`);
      } else if (/ NOOP/i.test(line)) {
        send(`* OK ${'\x9b'.repeat(LONG_LINE)}`);
        send(`\r\n${tag} OK noop\r\n`);
      } else if (/ LOGOUT/i.test(line)) {
        send(`* BYE ${HOSTILE}\r\n${tag} OK bye\r\n`);
        socket.end();
      } else {
        send(`${tag} BAD ${HOSTILE}\r\n`);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstreamPort = (server.address() as net.AddressInfo).port;
});
after(() => {
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A client that sends its commands one by one, each after the previous tagged response, and returns all it received. */
function converse(port: number, commands: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let text = '';
    let next = 0;
    const sendNext = (): void => {
      if (next < commands.length) socket.write(`c${next} ${commands[next++]}\r\n`);
    };
    socket.on('data', (d: Buffer) => {
      got.push(d);
      // Only the last few bytes matter to spot a tagged response; the big ones are not kept as text.
      text = (text + d.toString('latin1')).slice(-4096);
      if (next === 0 && text.includes('\r\n')) sendNext();
      else if (new RegExp(`(^|\\r\\n)c${next - 1} [A-Z]+ [^\\r\\n]*\\r\\n$`).test(text)) sendNext();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(got)));
  });
}

test('a throwing script that reads everything: hostile frames delivered byte for byte, proxy still serving, output safe', async () => {
  const script = path.join(dir, 'reads-everything.mjs');
  fs.writeFileSync(script, `
let seen = 0;
export function onFrame(frame, ctx) {
  seen += frame.text.length + frame.lines.join('').length + frame.bytes.length + frame.literals.length + Object.keys(ctx.sessionData).length;
  if (frame.direction === 'server') throw new Error(frame.text + ' ' + seen);
  return undefined;
}
export function onIdlePhase(phase) { return phase.frame.bytes.length > 0 ? undefined : undefined; }
`);
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${upstreamPort}`, '--headless', '--script', script]);
  try {
    const first = await converse(proxy.port, ['FETCH 1 BODY[]', 'NOOP', 'LOGOUT']);
    assert.ok(first.equals(Buffer.concat(sent[0])), `client got ${first.length} bytes, server sent ${Buffer.concat(sent[0]).length}`);
    const second = await converse(proxy.port, ['NOOP', 'LOGOUT']);
    assert.ok(second.equals(Buffer.concat(sent[1])), 'a second session is served the same way');
  } finally {
    assert.equal(await proxy.stop('SIGINT'), 0);
  }
  assert.deepEqual(terminalHazards(proxy.stdout()), [], 'headless output');
  assert.deepEqual(terminalHazards(proxy.stderr()), [], 'stderr');
  assert.doesNotMatch(proxy.stderr(), /\n\s+at /, 'no stack trace');
});
