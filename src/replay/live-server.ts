import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ConversationFramer } from '../imap/conversation-framer';
import type { Frame } from '../imap/frame';
import type { HostPort } from '../proxy/address';
import { nowUs } from '../proxy/clock';
import { FrameByteWindow } from './frame-byte-window';
import { NORMALISED_LITERAL_MAX } from './response-diff';

/** Bytes of one server frame kept for the diff; larger frames are compared by what the framer keeps. */
const FRAME_BYTES_MAX = NORMALISED_LITERAL_MAX + 64 * 1024;

/** A server frame received live, with its bytes (undefined when the frame was too large to keep). */
export interface LiveFrame {
  frame: Frame;
  bytes: Buffer | undefined;
}

/**
 * A client connection to a real server whose responses are framed by the proxy's framer (both
 * directions are fed, so SASL and literal states follow the conversation) and queued as frames.
 */
export class LiveServer {
  private readonly framer: ConversationFramer;
  private readonly queue: LiveFrame[] = [];
  private readonly serverBytes = new FrameByteWindow(FRAME_BYTES_MAX);
  private ended: string | undefined;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    this.framer = new ConversationFramer(1, (frame) => {
      if (frame.direction !== 'server') return;
      this.queue.push({ frame, bytes: this.serverBytes.take(frame.offset, frame.length) });
    });
    socket.on('data', (chunk: Buffer) => {
      // Kept before framing: the framer hands out frames synchronously, and takes their bytes.
      this.serverBytes.append(chunk);
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
