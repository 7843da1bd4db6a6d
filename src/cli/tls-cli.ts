/**
 * The proxy command's TLS options and their assembly into a TlsInterception, kept here so that
 * proxy-command.ts only registers them and passes the result to the ProxyServer.
 */
import type { Command } from 'commander';
import * as os from 'node:os';
import * as path from 'node:path';
import { isIP } from 'node:net';
import type { EventSink } from '../imap/events';
import type { HostPort } from '../proxy/address';
import { defaultCaDir, loadOrCreateCa } from '../proxy/tls/ca-store';
import { KeyLog } from '../proxy/tls/keylog';
import { LeafFactory } from '../proxy/tls/leaf-factory';
import { TlsInterception, type ClientLegMode, type UpstreamLegMode } from '../proxy/tls/tls-interceptor';
import { upstreamTrustContext } from '../proxy/tls/upstream-tls';

/** The options as commander hands them over. */
export interface TlsCliOptions {
  tls: boolean;
  upstreamTls: boolean;
  upstreamStarttls: boolean;
  upstreamCa?: string;
  insecureUpstream: boolean;
  caDir?: string;
  keylog?: string;
  /** `--handshake-timeout`, seconds (registered by the proxy command: it bounds plain connects too). */
  handshakeTimeout?: number;
}

/** Add the TLS options to the `proxy` command. */
export function addTlsOptions(cmd: Command): Command {
  return cmd
    .option('--tls', 'the client leg is implicit TLS (like port 993) with a leaf from the imapdbg CA; otherwise plain, STARTTLS intercepted', false)
    .option('--upstream-tls', 'connect to the server with implicit TLS (like port 993)', false)
    .option('--upstream-starttls', 'upgrade the server leg with imapdbg\'s own STARTTLS right after the greeting (for plain-only clients)', false)
    .option('--upstream-ca <file>', 'also trust this PEM CA for the server certificate (besides the system roots)')
    .option('--insecure-upstream', 'do not verify the server certificate (the verdict is still recorded)', false)
    .option('--ca-dir <dir>', 'the imapdbg CA directory (default $XDG_CONFIG_HOME/imapdbg/ca; created on first use)')
    .option('--keylog <file>', 'append both legs\' TLS secrets in SSLKEYLOGFILE format (mode 0600), for Wireshark');
}

/** A ready interception, its description for the start-up line, and what to release at the end. */
export interface TlsSetup {
  interception: TlsInterception;
  description: string;
  close(): void;
}

/** Names a client may use for imapdbg: the listen host, and the loopback names when it is loopback. */
export function proxyNamesFor(listenHost: string): string[] {
  if (listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '') return [os.hostname(), 'localhost', '127.0.0.1', '::1'];
  const loopback = listenHost === 'localhost' || listenHost === '::1' || (isIP(listenHost) === 4 && listenHost.startsWith('127.'));
  return loopback ? [listenHost, 'localhost', '127.0.0.1', '::1'] : [listenHost];
}

/** Validate the options and build the interception; throws a one-line Error on bad options. */
export async function setUpTls(opts: TlsCliOptions, upstream: HostPort, listen: HostPort, sink: EventSink): Promise<TlsSetup> {
  if (opts.upstreamTls && opts.upstreamStarttls) throw new Error('--upstream-tls and --upstream-starttls exclude each other');
  if (opts.insecureUpstream && opts.upstreamCa) throw new Error('--insecure-upstream and --upstream-ca exclude each other');
  const clientLeg: ClientLegMode = opts.tls ? 'tls' : 'plain';
  const upstreamLeg: UpstreamLegMode = opts.upstreamTls ? 'tls' : opts.upstreamStarttls ? 'starttls' : 'plain';
  const trust = upstreamTrustContext(opts.upstreamCa, opts.insecureUpstream);
  const caDir = opts.caDir ? path.resolve(opts.caDir) : defaultCaDir();
  let factory: Promise<LeafFactory> | undefined;
  let made: LeafFactory | undefined;
  const leaves = (): Promise<LeafFactory> => (factory ??= loadOrCreateCa(caDir).then((ca) => {
    made = new LeafFactory(ca, { cacheDir: path.join(caDir, 'leaves') });
    return made;
  }));
  // An implicit-TLS client leg needs the CA at once: fail at start-up, not at the first client.
  // A plain client leg loads it (and starts stocking RSA keys) at its first STARTTLS only: stocking
  // at start-up cost ~0.5-1 s of CPU in the first seconds of every plain run (issue 10), and a
  // plain-only user never gets a CA created behind their back. The first unseen host then waits
  // for one key (a cached leaf on disk needs none).
  if (clientLeg === 'tls') await leaves();
  const keylog = opts.keylog ? new KeyLog(opts.keylog) : undefined;
  const interception = new TlsInterception({
    clientLeg, upstreamLeg, upstream, trust, leaves, sink, keylog, proxyNames: proxyNamesFor(listen.host),
    ...(opts.handshakeTimeout !== undefined ? { handshakeTimeoutMs: opts.handshakeTimeout * 1000 } : {}),
  });
  const client = clientLeg === 'tls' ? 'implicit TLS' : upstreamLeg === 'plain' ? 'plain, STARTTLS intercepted' : 'plain';
  const server = upstreamLeg === 'tls' ? 'implicit TLS' : upstreamLeg === 'starttls' ? 'STARTTLS by imapdbg' : 'plain, or TLS when the client starts it';
  const verify = opts.insecureUpstream ? 'NOT verified (--insecure-upstream)' : `verified against ${trust.sources.join(', ')}`;
  return {
    interception,
    description: `client leg ${client}; server leg ${server}, certificate ${verify}; CA ${caDir}${keylog ? `; key log ${keylog.file}` : ''}`,
    close: () => { made?.close(); keylog?.close(); },
  };
}
