/**
 * A minimal fake IMAP server for the benchmark (run as its own child process).
 *
 *   node dist/bench/fake-imap-server.js [--literal-bytes N] [--line-bytes N]
 *
 * Prints `listening PORT` on stdout once it accepts connections on 127.0.0.1 (a free port).
 * It answers, per connection, one command line at a time:
 *   TAG NOOP          -> TAG OK NOOP completed
 *   TAG IDLE          -> + idling            (then DONE -> TAG OK IDLE terminated)
 *   TAG FETCH 1 BODY[] -> * 1 FETCH (BODY[] {N}\r\n + N bytes from a reused buffer + )\r\n TAG OK done
 *   TAG XLINE         -> * XLINE + N bytes without CRLF, then \r\n TAG OK done  (a long line)
 *   TAG LOGOUT        -> * BYE, TAG OK, close
 * Anything else gets TAG BAD. The literal is streamed with backpressure, never built in memory.
 */
import { createServer, type Socket } from 'node:net';
import { listenAndAnnounce } from './child-listener';
import { streamBytes } from './stream-bytes';

const args = process.argv.slice(2);
function argNumber(name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} needs a non-negative integer`);
  return n;
}

const LITERAL_BYTES = argNumber('--literal-bytes', 512 * 1024 * 1024);
const LINE_BYTES = argNumber('--line-bytes', 10 * 1024 * 1024);
const CHUNK_BYTES = 256 * 1024;

/** Message-like text (with CRLFs inside: a proxy must not scan literal bodies for line ends). */
function textChunk(size: number): Buffer {
  const line = Buffer.from('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor 0123456789\r\n');
  const buf = Buffer.alloc(size);
  for (let off = 0; off < size; off += line.length) line.copy(buf, off);
  return buf;
}
const LITERAL_CHUNK = textChunk(CHUNK_BYTES);
const LINE_CHUNK = Buffer.alloc(CHUNK_BYTES, 'x');

function handleConnection(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => { /* a client going away mid-stream is fine here */ });
  socket.write('* OK [CAPABILITY IMAP4rev1 IDLE LITERAL+] fake IMAP server ready\r\n');
  let pending = '';
  let busy = false; // streaming a response: further commands wait (and stay in `pending`)
  let idleTag: string | undefined;

  const next = (): void => {
    while (!busy) {
      const eol = pending.indexOf('\r\n');
      if (eol === -1) {
        if (pending.length > 64 * 1024) socket.destroy(); // not a bench client
        return;
      }
      const line = pending.slice(0, eol);
      pending = pending.slice(eol + 2);
      command(line);
    }
  };

  const command = (line: string): void => {
    if (idleTag !== undefined) {
      if (line.toUpperCase() === 'DONE') socket.write(`${idleTag} OK IDLE terminated\r\n`);
      else socket.write(`${idleTag} BAD expected DONE\r\n`);
      idleTag = undefined;
      return;
    }
    const sp = line.indexOf(' ');
    const tag = sp === -1 ? line : line.slice(0, sp);
    const rest = sp === -1 ? '' : line.slice(sp + 1);
    const verb = rest.split(' ', 1)[0].toUpperCase();
    switch (verb) {
      case 'NOOP':
        socket.write(`${tag} OK NOOP completed\r\n`);
        return;
      case 'IDLE':
        idleTag = tag;
        socket.write('+ idling\r\n');
        return;
      case 'FETCH':
        busy = true;
        socket.write(`* 1 FETCH (BODY[] {${LITERAL_BYTES}}\r\n`);
        streamBytes(socket, LITERAL_CHUNK, LITERAL_BYTES, () => {
          socket.write(`)\r\n${tag} OK done\r\n`);
          busy = false;
          next();
        });
        return;
      case 'XLINE':
        busy = true;
        socket.write('* XLINE ');
        streamBytes(socket, LINE_CHUNK, LINE_BYTES, () => {
          socket.write(`\r\n${tag} OK done\r\n`);
          busy = false;
          next();
        });
        return;
      case 'LOGOUT':
        socket.end(`* BYE logging out\r\n${tag} OK LOGOUT completed\r\n`);
        return;
      default:
        socket.write(`${tag} BAD unknown command\r\n`);
    }
  };

  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    next();
  });
  socket.on('end', () => socket.end());
}

const server = createServer({ noDelay: true }, handleConnection);
listenAndAnnounce(server);
