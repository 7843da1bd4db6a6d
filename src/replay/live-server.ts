import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ConversationFramer } from '../imap/conversation-framer';
import type { Frame } from '../imap/frame';
import type { HostPort } from '../proxy/address';
import { nowUs } from '../proxy/clock';

/** A server frame received live, with its bytes. */
export interface LiveFrame {
  frame: Frame;
  bytes: Buffer;
}

/**
 * A client connection to a real server whose responses are framed by the proxy's framer (both
 * directions are fed, so SASL and literal states follow the conversation) and queued as frames.
 */
export class LiveServer {
  private readonly framer: ConversationFramer;
  private readonly queue: LiveFrame[] = [];
  private serverBytes: Buffer = Buffer.alloc(0);
  private serverBase = 0;
  private ended: string | undefined;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    this.framer = new ConversationFramer(1, (frame) => {
      if (frame.direction !== 'server') return;
      const start = frame.offset - this.serverBase;
      this.queue.push({ frame, bytes: this.serverBytes.subarray(start, start + frame.length) });
      this.serverBase = frame.offset + frame.length;
      this.serverBytes = this.serverBytes.subarray(start + frame.length);
    });
    socket.on('data', (chunk: Buffer) => {
      this.serverBytes = this.serverBytes.length ? Buffer.concat([this.serverBytes, chunk]) : chunk;
      this.framer.push('server', chunk, nowUs());
      this.wake?.();
    });
    const end = (why: string): void => {
      if (this.ended === undefined) {
        this.ended = why;
        this.framer.end('server', nowUs());
      }
      this.wake?.();
    };
    socket.on('end', () => end('the server closed the connection'));
    socket.on('close', () => end('the connection closed'));
    socket.on('error', (err) => end(err.message));
  }

  /** Connects (plain TCP or implicit TLS) and resolves once connected. */
  static open(target: HostPort, tls: boolean, insecure: boolean): Promise<LiveServer> {
    return new Promise((resolve, reject) => {
      const socket = tls
        ? tlsConnect({ host: target.host, port: target.port, servername: /^[0-9.:]+$/.test(target.host) ? undefined : target.host, rejectUnauthorized: !insecure })
        : netConnect(target.port, target.host);
      const fail = (err: Error): void => reject(new Error(`cannot connect to ${target.host}:${target.port}: ${err.message}`));
      socket.once('error', fail);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', fail);
        resolve(new LiveServer(socket));
      });
    });
  }

  /** Why the connection ended, once it has. */
  get endedBecause(): string | undefined {
    return this.ended;
  }

  /** Sends client bytes (framed too, so the conversation state stays right). */
  send(bytes: Buffer): void {
    this.framer.push('client', bytes, nowUs());
    this.socket.write(bytes);
  }

  /** The next server frame, or undefined when the connection ended or `timeoutMs` passed. */
  async next(timeoutMs: number): Promise<LiveFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.queue.shift();
      if (f) return f;
      const left = deadline - Date.now();
      if (this.ended !== undefined || left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = undefined;
    }
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon();
  }
}
