import { createServer, type Server, type Socket } from 'node:net';
import { formatHostPort, listenOn, type HostPort } from './address';

/** What a listener keeps of each session it started: a way to end it at shutdown. */
export interface ListenerSession {
  shutdown(): void;
}

/**
 * A TCP listener whose connections become sessions (the IMAP front end and the SOCKS5 one): both
 * legs half-open capable so that a FIN is mirrored, not turned into a close, and a connection
 * paused until its session reads it.
 */
export abstract class SessionListener<S extends ListenerSession> {
  private readonly server: Server;
  protected readonly sessions = new Set<S>();
  /** The bound address, as sessions name their listener. */
  protected address = '';

  constructor(private readonly at: HostPort) {
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  /** Start listening; resolves with the bound address (port 0 picks a free one). */
  async listen(): Promise<HostPort> {
    const bound = await listenOn(this.server, this.at);
    this.address = formatHostPort(bound.host, bound.port);
    return bound;
  }

  /** Sessions currently open. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** Stop accepting, close every session, and resolve when the listener is closed. */
  close(): Promise<void> {
    for (const s of [...this.sessions]) s.shutdown();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  protected abstract accept(socket: Socket): void;
}
