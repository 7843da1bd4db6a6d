// Shared rig of the socket-lifecycle hostile tests: the real bin/imapdbg against a counting fake
// upstream, its open file descriptors, and bounded polling (never an assertion on elapsed time).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startCountingUpstream, type CountingUpstream, type CountingUpstreamOptions } from '../harness/counting-upstream';
import { startImapdbgProxy, type ImapdbgProcess } from '../harness/imapdbg-process';

export interface SocketsRig {
  upstream: CountingUpstream;
  proxy: ImapdbgProcess;
  caDir: string;
  /** The proxy's open file descriptors now. */
  fds(): number;
  /** SIGINT, then the exit code, or 'no exit' when it has not exited after a generous bound. */
  interrupt(): Promise<number | null | 'no exit'>;
  close(): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `done()` holds, at most `attempts` times; true when it held. */
export async function pollUntil(done: () => boolean, attempts = 200, everyMs = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (done()) return true;
    await sleep(everyMs);
  }
  return done();
}

export async function startRig(proxyArgs: string[], upstreamOptions: CountingUpstreamOptions = {}): Promise<SocketsRig> {
  const upstream = await startCountingUpstream(upstreamOptions);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-sockets-'));
  const caDir = path.join(dir, 'ca');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${upstream.port}`, '--headless', '--ca-dir', caDir, ...proxyArgs]);
  const pid = proxy.child.pid ?? 0;
  const interrupt = async (): Promise<number | null | 'no exit'> => {
    const code = await Promise.race([proxy.stop('SIGINT'), sleep(20_000).then(() => 'no exit' as const)]);
    if (proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
    return code;
  };
  return {
    upstream, proxy, caDir,
    fds: () => fs.readdirSync(`/proc/${pid}/fd`).length,
    interrupt,
    close: async () => {
      if (proxy.child.exitCode === null && proxy.child.signalCode === null) proxy.child.kill('SIGKILL');
      await upstream.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Connect, run `act` once connected, and resolve when the socket has closed. */
export function probe(port: number, act: (socket: net.Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    socket.once('connect', () => act(socket));
    socket.once('close', () => resolve());
  });
}

/** A TLS client that trusts the imapdbg CA: resolves with the first line it reads (the greeting or a BYE). */
export function tlsFirstLine(port: number, caDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: fs.readFileSync(path.join(caDir, 'ca-cert.pem')) });
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
      const lf = text.indexOf('\n');
      if (lf !== -1) { socket.end('z LOGOUT\r\n'); resolve(text.slice(0, lf + 1)); }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
  });
}

/** The lines of the proxy's headless output that close a session. */
export function sessionClosedLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.includes('-- session closed'));
}
