/**
 * How a host name named by a SOCKS client becomes an address. Injectable so that tests never
 * query DNS: they map their names to loopback and everything else to ENOTFOUND.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolve a host name; rejects with an Error whose `code` says why (ENOTFOUND, EAI_AGAIN...). */
export type HostResolver = (host: string) => Promise<ResolvedAddress>;

/** The system resolver (getaddrinfo: hosts file, then DNS), first address. */
export const systemResolver: HostResolver = async (host) => {
  const r = await lookup(host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
};

/** A resolver that knows only the given names; any other name fails with ENOTFOUND, like getaddrinfo. */
export function fixedResolver(names: Record<string, string>): HostResolver {
  return async (host) => {
    const address = Object.hasOwn(names, host.toLowerCase()) ? names[host.toLowerCase()] : undefined;
    if (address === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
    return { address, family: isIP(address) === 6 ? 6 : 4 };
  };
}

/**
 * The names imapdbg answers itself, then `--resolve` entries, then `fallback`. RFC 6761 6.3 and
 * 6.4: `localhost` is the loopback address and `.invalid` names never resolve; both are answered
 * without a query, so no test (and no user's typo of that kind) reaches DNS.
 */
export function layeredResolver(fixed: Record<string, string>, fallback: HostResolver): HostResolver {
  const names = lowerKeys(fixed);
  const known = fixedResolver({ localhost: '127.0.0.1', ...names });
  return async (host) => {
    const name = host.toLowerCase().replace(/\.$/, '');
    if (Object.hasOwn(names, name)) return known(name);
    if (name === 'localhost' || name.endsWith('.localhost')) return known('localhost');
    if (name === 'invalid' || name.endsWith('.invalid')) return known(name);
    return fallback(host);
  };
}

function lowerKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v]));
}

/** An address literal needs no resolver. */
export async function resolveHost(host: string, resolver: HostResolver): Promise<ResolvedAddress> {
  const family = isIP(host);
  if (family !== 0) return { address: host, family: family === 6 ? 6 : 4 };
  return resolver(host);
}
