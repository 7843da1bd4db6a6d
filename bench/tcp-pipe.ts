/**
 * The reference: a plain Node TCP pipe (net.createServer + socket.pipe both ways), nothing else.
 *
 *   node dist/bench/tcp-pipe.js --upstream PORT
 *
 * Prints `listening PORT` on stdout once it listens on 127.0.0.1 (a free port). Nagle is off on
 * both legs, as in imapdbg, so the latency comparison is like for like.
 */
import { connect, createServer } from 'node:net';
import { listenAndAnnounce } from './child-listener';

const i = process.argv.indexOf('--upstream');
const upstreamPort = Number(process.argv[i + 1]);
if (i === -1 || !Number.isInteger(upstreamPort)) {
  process.stderr.write('usage: tcp-pipe --upstream PORT\n');
  process.exit(2);
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
listenAndAnnounce(server);
