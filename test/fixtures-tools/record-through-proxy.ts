// Records a real dialog through the proxy into a capture file: the way fixtures and replay tests
// get captures of a real server (the harness's Dovecot) instead of hand-written ones.
import { CaptureWriter } from '../../src/capture/capture-writer';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import { EventBus } from '../../src/imap/events';
import type { HostPort } from '../../src/proxy/address';
import { nowUs } from '../../src/proxy/clock';
import { ProxyServer } from '../../src/proxy/proxy-server';
import { TOOL } from '../../src/cli/version';

/**
 * Starts a proxy in front of `upstream` that records to `capturePath`, runs `dialog` with the
 * proxy's address, then waits until every session has closed and the capture is flushed.
 */
export async function recordThroughProxy<T>(upstream: HostPort, capturePath: string,
  dialog: (proxy: HostPort) => Promise<T>): Promise<T> {
  const writer = new CaptureWriter(capturePath, TOOL, nowUs());
  const bus = new EventBus().add(writer);
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream, sink: bus, flow: writer, annotators: defaultAnnotators });
  const bound = await proxy.listen();
  try {
    return await dialog(bound);
  } finally {
    // The client may have closed first; give the upstream's FIN a moment to be mirrored.
    for (let i = 0; i < 100 && proxy.openSessions > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await proxy.close();
    await bus.close();
  }
}
