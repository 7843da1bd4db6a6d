/**
 * `imapdbg proxy --headless --record FILE` with the pcapng capture writer, for the benchmark until
 * `proxy --record` itself writes pcapng (branch h-pcapwire). Everything else is as the CLI builds it:
 * the headless printer on stdout, the stats collector, the default annotators and limits, the
 * COMPRESS layer, the writer as the sessions' flow control.
 *
 *   node dist/bench/pcapng-proxy.js --upstream PORT --record FILE
 *
 * Prints `imapdbg: listening on 127.0.0.1:PORT` on stderr once it listens; flushes on SIGTERM.
 */
import { PcapngCaptureWriter } from '../src/capture/pcapng/pcapng-capture-writer';
import { HeadlessPrinter } from '../src/headless/headless-printer';
import { stdout } from '../src/headless/terminal-output';
import { defaultAnnotators } from '../src/imap/default-annotators';
import { DEFAULT_LIMITS } from '../src/imap/direction-framer';
import { EventBus } from '../src/imap/events';
import { SessionStatsCollector } from '../src/imap/session-stats';
import { nowUs } from '../src/proxy/clock';
import { CompressLayer } from '../src/proxy/compress-layer';
import { ProxyServer } from '../src/proxy/proxy-server';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i === -1 ? undefined : process.argv[i + 1];
  if (v === undefined) {
    process.stderr.write('usage: pcapng-proxy --upstream PORT --record FILE\n');
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const upstreamPort = Number(arg('--upstream'));
  const file = arg('--record');
  const bus = new EventBus();
  const capture = new PcapngCaptureWriter(file, 'imapdbg-bench', nowUs(), { overwrite: true });
  bus.add(capture);
  bus.add(new HeadlessPrinter(stdout, { revealSecrets: false, utc: true }));
  bus.add(new SessionStatsCollector());
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: upstreamPort }, sink: bus, flow: capture,
    annotators: defaultAnnotators, idleTimeoutMs: 31 * 60_000, limits: DEFAULT_LIMITS, sessionOptions: () => ({ layers: [new CompressLayer()] }) });
  const bound = await proxy.listen();
  process.stderr.write(`imapdbg: listening on ${bound.host}:${bound.port}, recording to ${file}\n`);
  const stop = (): void => {
    void (async () => {
      await proxy.close();
      await bus.close();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`pcapng-proxy: ${err.message}\n`);
  process.exit(2);
});
