/**
 * The relays the benchmarks measure, started the one way they all use: the Node TCP pipe
 * (tcp-pipe.ts, optionally busy N µs per chunk) and `imapdbg proxy` in front of a server on
 * 127.0.0.1, each resolving once it announced its port.
 */
import * as path from 'node:path';
import { spawnReady, type Child } from './proc';

/** This tree: the directory holding `bin/imapdbg` and `dist/`. */
export const TREE_ROOT = path.resolve(__dirname, '..', '..');

/** The Node TCP pipe to `serverPort`; `busyUs` > 0 spins that long after each forwarded chunk. */
export function spawnPipe(serverPort: number, busyUs = 0, name = 'pipe'): Promise<Child> {
  return spawnReady(name, process.execPath,
    [path.join(__dirname, 'tcp-pipe.js'), '--upstream', String(serverPort), ...(busyUs > 0 ? ['--busy-us', String(busyUs)] : [])],
    { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
}

export interface ImapdbgProxyOptions {
  /** The tree whose `bin/imapdbg` runs (default: this one). */
  root?: string;
  /** Arguments after `proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:PORT` (e.g. `--headless`, `--record F`). */
  args?: string[];
  /** Node's own flags, before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

/** `imapdbg proxy` on a free loopback port in front of `serverPort`. */
export function spawnImapdbgProxy(name: string, serverPort: number, options: ImapdbgProxyOptions = {}): Promise<Child> {
  return spawnReady(name, process.execPath,
    [...(options.nodeArgs ?? []), path.join(options.root ?? TREE_ROOT, 'bin', 'imapdbg'), 'proxy', '--listen', '127.0.0.1:0',
      '--upstream', `127.0.0.1:${serverPort}`, ...(options.args ?? [])],
    { announce: { stream: 'stderr', pattern: /listening on 127\.0\.0\.1:(\d+)/ } });
}
