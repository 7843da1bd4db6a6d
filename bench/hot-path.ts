/**
 * The proxy's own per-chunk work without sockets (issue 10): the session model, the annotators, the
 * IDLE watch and the sinks as `imapdbg proxy --headless [--record]` builds them, fed in one process
 * the way ProxySession.receive feeds them. Sockets and the kernel's TCP path are left out, so the
 * figures move little when other work shares the machine and show what a change to imapdbg's own
 * code costs or saves.
 *
 *   node dist/bench/hot-path.js [--record] [--literal-mb 512] [--noops 20000] [--rounds 3]
 *
 * Prints, per round: CPU seconds (user + system, all threads: the capture's file writes included)
 * per GiB of a FETCH literal in fresh 64 KiB chunks, CPU µs per NOOP round trip, and the garbage
 * collections (count and ms) of each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { PcapngCaptureWriter } from '../src/capture/pcapng/pcapng-capture-writer';
import { HeadlessPrinter } from '../src/headless/headless-printer';
import type { TextOutput } from '../src/headless/terminal-output';
import { defaultAnnotators } from '../src/imap/default-annotators';
import { DEFAULT_LIMITS } from '../src/imap/direction-framer';
import { EventBus, type EventSink } from '../src/imap/events';
import type { Direction } from '../src/imap/frame';
import { IdleWatch } from '../src/imap/idle-watch';
import { PushLatencyCollector } from '../src/imap/push-latency-stats';
import { SessionModel } from '../src/imap/session-model';
import { SessionStatsCollector } from '../src/imap/session-stats';
import { nowUs } from '../src/proxy/clock';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const RECORD = argv.includes('--record');
const LITERAL = option('--literal-mb', 512) * 1024 * 1024;
const NOOPS = option('--noops', 20_000);
const ROUNDS = option('--rounds', 3);
const CHUNK = 64 * 1024;

/** Headless lines go nowhere (as with stdout to /dev/null), but through the printer's own work. */
const nowhere: TextOutput = { write: () => true, onDrain: () => undefined };

interface Flow { congested: boolean; whenDrained(): Promise<void> }

/** One session's path through the model and the sinks, as ProxySession.receive and forward run it. */
class SessionFeed {
  readonly model: SessionModel;

  constructor(private readonly id: number, private readonly sink: EventSink, private readonly flow: Flow | undefined) {
    this.model = new SessionModel(id, {
      frame: (frame) => sink.handle({ type: 'frame', frame }),
      finding: (finding, timeUs) => sink.handle({ type: 'finding', session: id, timeUs, finding }),
    }, defaultAnnotators(), DEFAULT_LIMITS);
    sink.handle({ type: 'session-open', session: { id, startUs: nowUs(), client: '127.0.0.1:40000', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  }

  /** Returns a promise only when the capture asks the reader to wait. */
  receive(direction: Direction, chunk: Buffer): Promise<void> | undefined {
    let rest = chunk;
    let wait: Promise<void> | undefined;
    while (rest.length > 0) {
      const timeUs = nowUs();
      if (this.model.literalRemaining(direction) > rest.length) {
        wait = this.forward(direction, rest, timeUs);
        this.model.push(direction, rest, timeUs);
        return wait;
      }
      const consumed = this.model.frameOnly(direction, rest, timeUs);
      const part = consumed === rest.length ? rest : rest.subarray(0, consumed);
      wait = this.forward(direction, part, timeUs) ?? wait;
      this.model.publish();
      rest = rest.subarray(consumed);
    }
    return wait;
  }

  close(): void {
    const timeUs = nowUs();
    this.model.endDirection('client', timeUs);
    this.model.endDirection('server', timeUs);
    this.model.end(timeUs);
    this.sink.handle({ type: 'session-close', session: this.id, timeUs, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: this.model.frameCount });
  }

  private forward(direction: Direction, part: Buffer, timeUs: number): Promise<void> | undefined {
    if (part.length === 0) return undefined;
    this.sink.handle({ type: 'data', session: this.id, direction, timeUs, bytes: part, layer: 'wire' });
    return this.flow?.congested ? this.flow.whenDrained() : undefined;
  }
}

interface Gc { count: number; ms: number }
const gc: Gc = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count += 1;
    gc.ms += e.duration;
    void perfConstants;
  }
}).observe({ entryTypes: ['gc'] });

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function measure<T>(what: () => Promise<T>): Promise<{ seconds: number; gc: Gc }> {
  await turn();
  const g0 = { ...gc };
  const c0 = cpu();
  await what();
  await turn();
  return { seconds: cpu() - c0, gc: { count: gc.count - g0.count, ms: gc.ms - g0.ms } };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hot-path-'));
  const bus = new EventBus();
  const capture = RECORD ? new PcapngCaptureWriter(path.join(dir, 'c.pcapng'), 'hot-path', nowUs()) : undefined;
  if (capture) bus.add(capture);
  bus.add(new HeadlessPrinter(nowhere, { revealSecrets: false, utc: true }));
  bus.add(new SessionStatsCollector());
  bus.add(new PushLatencyCollector());
  const watch = new IdleWatch(bus);
  const template = Buffer.alloc(CHUNK, 'Lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789\r\n');
  let id = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const s = new SessionFeed(++id, watch, capture);
      s.receive('server', Buffer.from('* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n'));
      const big = await measure(async () => {
        s.receive('client', Buffer.from('f1 FETCH 1 BODY[]\r\n'));
        s.receive('server', Buffer.from(`* 1 FETCH (BODY[] {${LITERAL}}\r\n`));
        for (let sent = 0; sent < LITERAL; sent += CHUNK) {
          // A fresh buffer per chunk, as a socket read hands out.
          const chunk = Buffer.allocUnsafeSlow(Math.min(CHUNK, LITERAL - sent));
          template.copy(chunk);
          const wait = s.receive('server', chunk);
          if (wait) await wait;
          await turn();
        }
        s.receive('server', Buffer.from(')\r\nf1 OK done\r\n'));
      });
      const noops = await measure(async () => {
        for (let i = 0; i < NOOPS; i++) {
          s.receive('client', Buffer.from(`n${i} NOOP\r\n`));
          s.receive('server', Buffer.from(`n${i} OK NOOP completed\r\n`));
          if (i % 16 === 15) await turn();
        }
      });
      s.close();
      const gib = LITERAL / 2 ** 30;
      process.stdout.write(`round ${round}${RECORD ? ' (recording)' : ''}: literal ${(big.seconds / gib).toFixed(3)} CPU s/GiB, gc ${big.gc.count} / ${big.gc.ms.toFixed(0)} ms;`
        + ` NOOP ${((noops.seconds * 1e6) / NOOPS).toFixed(2)} CPU µs per round trip, gc ${noops.gc.count} / ${noops.gc.ms.toFixed(0)} ms\n`);
    }
  } finally {
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`hot-path: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
