import * as net from 'node:net';
import * as tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ResponseReader, type ServerResponse } from './response-reader';

/** Where and how doctor connects. */
export interface Endpoint {
  host: string;
  port: number;
  security: 'plain' | 'tls' | 'starttls';
  /** PEM of the CA(s) that sign the server certificate; the system's when undefined. */
  ca?: Buffer;
  /** Do not verify the server certificate. */
  insecure: boolean;
  /** How long connecting, TLS and each command may take. */
  timeoutMs: number;
}

/** A response as the client classifies it, with the time it arrived (ms, monotonic). */
export interface Incoming {
  kind: 'untagged' | 'continuation' | 'tagged';
  tag?: string;
  /** OK / NO / BAD / BYE / PREAUTH for status responses, upper case. */
  status?: string;
  text: string;
  atMs: number;
}

/** How the connection ended. */
export interface Closed {
  /** The text of the `* BYE` the server sent before closing, if it did. */
  bye?: string;
  how: 'closed' | 'reset';
  atMs: number;
}

/** What waiting for a response came to. */
export type Awaited = { response: Incoming } | { closed: Closed } | { timeout: true };

/** A finished command: its tagged status (or why there is none) and the untagged responses it got. */
export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD' | 'closed' | 'timeout';
  text: string;
  /** The first MAX_KEPT_UNTAGGED untagged responses. */
  untagged: Incoming[];
  elapsedMs: number;
  /** When the tagged response arrived (ms, monotonic); when the wait ended if there was none. */
  atMs: number;
}

/** A one-line reason doctor could not connect (exit 2). */
export class ConnectError extends Error {}

export const now = (): number => performance.now();

/** Untagged responses kept per command; more are counted, not kept (a server may send without end). */
const MAX_KEPT_UNTAGGED = 200;

/**
 * A small IMAP client for doctor: one socket, responses read by a bounded ResponseReader, tags
 * paired with their commands. It keeps no history: whoever waits sees what arrives from then on.
 */
export class ImapClient {
  private reader: ResponseReader;
  private readonly listeners = new Set<(r: Incoming) => void>();
  private readonly closeListeners = new Set<(c: Closed) => void>();
  private tagCounter = 0;
  private lastBye: string | undefined;
  closed: Closed | undefined;
  greeting = '';

  private constructor(private socket: net.Socket, private readonly timeoutMs: number) {
    this.reader = this.newReader();
    this.attach(socket);
  }

  /** Connects, reads the greeting and, with `starttls`, upgrades; throws ConnectError when it cannot. */
  static async open(endpoint: Endpoint): Promise<ImapClient> {
    const socket = await connectSocket(endpoint);
    const client = new ImapClient(socket, endpoint.timeoutMs);
    const greeting = await client.wait((r) => r.kind === 'untagged', endpoint.timeoutMs);
    if (!('response' in greeting)) {
      client.destroy();
      throw new ConnectError(`${endpoint.host}:${endpoint.port} sent no greeting (${'closed' in greeting ? 'connection closed' : 'timed out'})`);
    }
    client.greeting = greeting.response.text;
    if (greeting.response.status === 'BYE') {
      client.destroy();
      throw new ConnectError(`${endpoint.host}:${endpoint.port} refused the connection: ${greeting.response.text}`);
    }
    if (endpoint.security === 'starttls') await client.startTls(endpoint);
    return client;
  }

  private newReader(): ResponseReader {
    return new ResponseReader((r) => this.dispatch(r));
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.markClosed(err.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => this.markClosed('closed'));
  }

  private async startTls(endpoint: Endpoint): Promise<void> {
    const r = await this.command('STARTTLS');
    if (r.status !== 'OK') {
      this.destroy();
      throw new ConnectError(`STARTTLS refused: ${r.status} ${r.text}`);
    }
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    // Anything the server sent after its OK and before the handshake is dropped (RFC 3501 6.2.1).
    this.reader = this.newReader();
    const secure = await handshake(tls.connect({ socket: plain, ...tlsOptions(endpoint) }), endpoint);
    this.socket = secure;
    this.attach(secure);
  }

  private dispatch(r: ServerResponse): void {
    const atMs = now();
    const text = r.text + (r.truncated ? '…' : '');
    let incoming: Incoming;
    if (text.startsWith('+')) incoming = { kind: 'continuation', text, atMs };
    else if (text.startsWith('* ')) {
      const status = /^\* (OK|NO|BAD|BYE|PREAUTH)\b/i.exec(text)?.[1]?.toUpperCase();
      if (status === 'BYE') this.lastBye = text;
      incoming = { kind: 'untagged', status, text, atMs };
    } else {
      const m = /^(\S+) (OK|NO|BAD)\b/i.exec(text);
      incoming = { kind: 'tagged', tag: m?.[1] ?? text.split(' ')[0], status: m?.[2]?.toUpperCase(), text, atMs };
    }
    for (const l of [...this.listeners]) l(incoming);
  }

  private markClosed(how: Closed['how']): void {
    if (this.closed) return;
    this.closed = { how, bye: this.lastBye, atMs: now() };
    for (const l of [...this.closeListeners]) l(this.closed);
  }

  /** Calls `listener` for every response from now on until the returned function is called. */
  listen(listener: (r: Incoming) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first response from now on that fits, or the connection's end, or a timeout (or `signal`'s abort). */
  wait(fits: (r: Incoming) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<Awaited> {
    return new Promise((resolve) => {
      if (this.closed) { resolve({ closed: this.closed }); return; }
      const finish = (value: Awaited): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.listeners.delete(onResponse);
        this.closeListeners.delete(onClose);
        resolve(value);
      };
      // An abort ends the wait early, as a timeout would.
      const onAbort = (): void => finish({ timeout: true });
      signal?.addEventListener('abort', onAbort);
      const onResponse = (r: Incoming): void => { if (fits(r)) finish({ response: r }); };
      const onClose = (c: Closed): void => finish({ closed: c });
      const timer = setTimeout(() => finish({ timeout: true }), timeoutMs);
      this.listeners.add(onResponse);
      this.closeListeners.add(onClose);
    });
  }

  nextTag(): string {
    this.tagCounter += 1;
    return `D${this.tagCounter}`;
  }

  /** Writes one line (CRLF added). */
  sendLine(line: string): void {
    if (!this.closed) this.socket.write(`${line}\r\n`);
  }

  /**
   * Runs `tag COMMAND` and waits for its tagged response. With `literal`, the command line must end
   * with its `{N}` announcement: the body follows the server's `+` (RFC 3501 2.2.1).
   */
  async command(text: string, literal?: Buffer, timeoutMs = this.timeoutMs): Promise<CommandResult> {
    const tag = this.nextTag();
    const start = now();
    const untagged: Incoming[] = [];
    const stop = this.listen((r) => { if (r.kind === 'untagged' && untagged.length < MAX_KEPT_UNTAGGED) untagged.push(r); });
    try {
      this.sendLine(`${tag} ${text}`);
      if (literal) {
        const go = await this.wait((r) => r.kind === 'continuation' || (r.kind === 'tagged' && r.tag === tag), timeoutMs);
        if (!('response' in go)) return { status: 'closed' in go ? 'closed' : 'timeout', text: '', untagged, elapsedMs: now() - start, atMs: now() };
        if (go.response.kind === 'tagged') return result(go.response, untagged, start);
        this.socket.write(Buffer.concat([literal, Buffer.from('\r\n')]));
      }
      const done = await this.wait((r) => r.kind === 'tagged' && r.tag === tag, timeoutMs);
      if (!('response' in done)) return { status: 'closed' in done ? 'closed' : 'timeout', text: 'closed' in done ? done.closed.bye ?? '' : '', untagged, elapsedMs: now() - start, atMs: now() };
      return result(done.response, untagged, start);
    } finally {
      stop();
    }
  }

  /** Sends LOGOUT (without waiting long) and closes. */
  async logout(): Promise<void> {
    if (!this.closed) await this.command('LOGOUT', undefined, Math.min(this.timeoutMs, 3000));
    this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function result(tagged: Incoming, untagged: Incoming[], start: number): CommandResult {
  const status = tagged.status === 'OK' || tagged.status === 'NO' ? tagged.status : 'BAD';
  return { status, text: tagged.text, untagged, elapsedMs: tagged.atMs - start, atMs: tagged.atMs };
}

function tlsOptions(endpoint: Endpoint): tls.ConnectionOptions {
  return {
    ca: endpoint.ca,
    rejectUnauthorized: !endpoint.insecure,
    // SNI takes host names only (RFC 6066 3).
    servername: net.isIP(endpoint.host) === 0 ? endpoint.host : undefined,
  };
}

function handshake(socket: tls.TLSSocket, endpoint: Endpoint): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.destroy(); reject(new ConnectError(`TLS handshake with ${endpoint.host}:${endpoint.port} timed out`)); }, endpoint.timeoutMs);
    socket.once('secureConnect', () => { clearTimeout(timer); socket.off('error', onError); resolve(socket); });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ConnectError(`TLS with ${endpoint.host}:${endpoint.port} failed: ${err.message}${endpoint.insecure ? '' : ' (--ca FILE names the CA; --insecure skips verification)'}`));
    };
    socket.once('error', onError);
  });
}

function connectSocket(endpoint: Endpoint): Promise<net.Socket> {
  if (endpoint.security === 'tls') return handshake(tls.connect({ host: endpoint.host, port: endpoint.port, ...tlsOptions(endpoint) }), endpoint);
  return new Promise((resolve, reject) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    const timer = setTimeout(() => { socket.destroy(); reject(new ConnectError(`cannot connect to ${endpoint.host}:${endpoint.port}: timed out`)); }, endpoint.timeoutMs);
    socket.once('connect', () => { clearTimeout(timer); socket.off('error', onError); resolve(socket); });
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(new ConnectError(`cannot connect to ${endpoint.host}:${endpoint.port}: ${err.code ?? err.message}`));
    };
    socket.once('error', onError);
  });
}
