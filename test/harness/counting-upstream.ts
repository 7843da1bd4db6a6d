// A plain fake IMAP server on loopback that counts the connections it accepts and sees closed,
// so a test can tell whether the proxy released every upstream connection it opened.
// It greets, answers `TAG STARTTLS` with `TAG OK Begin TLS` (and then speaks no TLS: the client
// leg is what the tests probe), and every other command line with `TAG OK done`.
import * as net from 'node:net';

export interface CountingUpstreamOptions {
  /** Reset (RST) every connection this long after it was accepted. */
  resetAfterMs?: number;
}

export interface CountingUpstream {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Accepted connections that have closed since. */
  readonly closed: number;
  /** Accepted connections still open. */
  readonly open: number;
  close(): Promise<void>;
}

export const GREETING = '* OK [CAPABILITY IMAP4rev1 STARTTLS] counting fake ready\r\n';

export async function startCountingUpstream(options: CountingUpstreamOptions = {}): Promise<CountingUpstream> {
  let accepted = 0;
  let closed = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => { closed++; sockets.delete(socket); });
    socket.on('end', () => socket.end());
    socket.write(GREETING);
    let pending = '';
    socket.setEncoding('latin1').on('data', (text: string) => {
      pending += text;
      let lf: number;
      while ((lf = pending.indexOf('\n')) !== -1) {
        const tag = pending.slice(0, lf).split(' ')[0] ?? '*';
        const verb = (pending.slice(0, lf).split(' ')[1] ?? '').replace(/\r$/, '').toUpperCase();
        pending = pending.slice(lf + 1);
        if (!socket.writable) return;
        socket.write(verb === 'STARTTLS' ? `${tag} OK Begin TLS\r\n` : `${tag} OK done\r\n`);
      }
    });
    if (options.resetAfterMs !== undefined) {
      const timer = setTimeout(() => { if (!socket.destroyed) socket.resetAndDestroy(); }, options.resetAfterMs);
      socket.once('close', () => clearTimeout(timer));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() { return accepted; },
    get closed() { return closed; },
    get open() { return accepted - closed; },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
