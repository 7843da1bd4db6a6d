/**
 * The reference: a plain Node TCP pipe (net.createServer + socket.pipe both ways), nothing else.
 *
 *   node dist/bench/tcp-pipe.js --upstream PORT
 *
 * Prints `listening PORT` on stdout once it listens on 127.0.0.1 (a free port). Nagle is off on
 * both legs, as in imapdbg, so the latency comparison is like for like.
 *
 *   node dist/bench/tcp-pipe.js --upstream PORT --busy-us N
 *
 * The same pipe, busy for N µs (a spin on the clock) after forwarding each chunk: a relay that
 * does a fixed amount of work of its own per chunk, after the bytes are on their way, as imapdbg
 * annotates after it forwards. The benchmark runs it beside imapdbg to show how much a little
 * work per chunk moves the NOOP tail on the machine at hand.
 */
import { connect, createServer } from 'node:net';
import { listenAndAnnounce } from './child-listener';

const i = process.argv.indexOf('--upstream');
const upstreamPort = Number(process.argv[i + 1]);
if (i === -1 || !Number.isInteger(upstreamPort)) {
  process.stderr.write('usage: tcp-pipe --upstream PORT\n');
  process.exit(2);
}

const b = process.argv.indexOf('--busy-us');
const busyNs = b === -1 ? 0 : Number(process.argv[b + 1]) * 1000;
if (b !== -1 && !(Number.isInteger(busyNs) && busyNs > 0)) {
  process.stderr.write('tcp-pipe: --busy-us needs a positive integer\n');
  process.exit(2);
}

function busy(): void {
  const start = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - start) < busyNs) { /* spin */ }
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
  if (busyNs === 0) {
    client.pipe(upstream);
    upstream.pipe(client);
  } else {
    // pipe() would forward from inside the stream machinery; a 'data' listener forwards, then works.
    client.on('data', (chunk: Buffer) => { if (!upstream.write(chunk)) client.pause(); busy(); });
    upstream.on('data', (chunk: Buffer) => { if (!client.write(chunk)) upstream.pause(); busy(); });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
listenAndAnnounce(server);
