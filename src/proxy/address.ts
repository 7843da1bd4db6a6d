import type { Server } from 'node:net';
/** A `host:port` pair as given on the command line. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parse `host:port`, `[v6]:port` or a bare port (host defaults to 127.0.0.1). Throws a one-line Error. */
export function parseHostPort(text: string, what: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw new Error(`${what} must be HOST:PORT (got "${text}")`);
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${what} port must be 0-65535 (got "${m[3]}")`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/** `host:port`, with brackets around IPv6 addresses. */
export function formatHostPort(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? '?'}`;
}

/** Listen on `at` (port 0 picks a free one); resolves with the bound address. */
export function listenOn(server: Server, at: HostPort): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      const a = server.address();
      if (a === null || typeof a === 'string') { reject(new Error('listener has no TCP address')); return; }
      resolve({ host: a.address, port: a.port });
    });
  });
}
