import { createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../proxy/address';
import { ReplayConnection, type ReplayOptions } from './replay-connection';
import type { RecordedDialog } from './recorded-dialog';

/**
 * Acts as the server of a recorded session (`imapdbg replay FILE --serve`). Every client that
 * connects gets a fresh replay of the same dialog: its own greeting, its own set of answers.
 */
export class ReplayServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private nextId = 1;

  constructor(private readonly dialog: RecordedDialog, private readonly options: ReplayOptions) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      new ReplayConnection(socket, this.dialog, this.options, this.nextId++);
    });
  }

  /** Start listening; resolves with the bound address (port 0 picks a free one). */
  listen(address: HostPort): Promise<HostPort> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(address.port, address.host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        if (a === null || typeof a === 'string') { reject(new Error('listener has no TCP address')); return; }
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stop listening and drop every client. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
