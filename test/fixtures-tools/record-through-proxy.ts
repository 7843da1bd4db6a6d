// Records a real dialog through the proxy into a capture file: the way fixtures and replay tests
// get captures of a real server (the harness's Dovecot) instead of hand-written ones.
import { PcapngCaptureWriter } from '../../src/capture/pcapng/pcapng-capture-writer';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import { EventBus } from '../../src/imap/events';
import type { HostPort } from '../../src/proxy/address';
import { nowUs } from '../../src/proxy/clock';
import { CompressLayer } from '../../src/proxy/compress-layer';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { setUpTls, type TlsSetup } from '../../src/cli/tls-cli';
import { TOOL } from '../../src/cli/version';

export interface RecordOptions {
  /**
   * Intercept the client's STARTTLS as `imapdbg proxy --ca-dir CA_DIR --upstream-ca UPSTREAM_CA`
   * does (leaves from the CA in `caDir`, the upstream certificate verified against `upstreamCa`).
   * Without it the proxy has no TLS layer and a STARTTLS would pass through unread.
   */
  tls?: { caDir: string; upstreamCa: string };
}

/**
 * Starts a proxy in front of `upstream` that records to `capturePath`, runs `dialog` with the
 * proxy's address, then waits until every session has closed and the capture is flushed.
 * COMPRESS=DEFLATE is always followed (as by the CLI proxy); STARTTLS only with `options.tls`.
 */
export async function recordThroughProxy<T>(upstream: HostPort, capturePath: string,
  dialog: (proxy: HostPort) => Promise<T>, options: RecordOptions = {}): Promise<T> {
  const writer = new PcapngCaptureWriter(capturePath, TOOL, nowUs(), { overwrite: true }); // fixtures are re-recorded in place
  const bus = new EventBus().add(writer);
  const listen = { host: '127.0.0.1', port: 0 };
  let tls: TlsSetup | undefined;
  if (options.tls) {
    tls = await setUpTls({ tls: false, upstreamTls: false, upstreamStarttls: false, insecureUpstream: false,
      upstreamCa: options.tls.upstreamCa, caDir: options.tls.caDir }, upstream, listen, bus);
  }
  const interception = tls?.interception;
  const proxy = new ProxyServer({ listen, upstream, sink: bus, flow: writer, annotators: defaultAnnotators,
    startSession: interception?.startSession,
    sessionOptions: () => ({ layers: [...(interception?.layers() ?? []), new CompressLayer()], tls: interception }) });
  const bound = await proxy.listen();
  try {
    return await dialog(bound);
  } finally {
    // The client may have closed first; give the upstream's FIN a moment to be mirrored.
    for (let i = 0; i < 100 && proxy.openSessions > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await proxy.close();
    tls?.close();
    await bus.close();
  }
}
