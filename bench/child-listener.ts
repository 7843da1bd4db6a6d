import type { Server } from 'node:net';

/**
 * Listen on 127.0.0.1 (any port, a deep backlog for the 1,000-session phase), print
 * `listening PORT` for the bench to read, and close on SIGTERM or SIGINT.
 */
export function listenAndAnnounce(server: Server): void {
  server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no TCP address');
    process.stdout.write(`listening ${a.port}\n`);
  });
  const stop = (): void => { server.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
