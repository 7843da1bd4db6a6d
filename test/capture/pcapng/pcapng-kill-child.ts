// Child of pcapng-crash.test.ts: records a fixture's events, then big chunks without end, through
// PcapngCaptureWriter, printing "recorded" once the fixture is written; the parent SIGKILLs it.
import { readCapture } from '../../../src/capture/capture-reader';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import type { ProxyEvent } from '../../../src/imap/events';

async function main(): Promise<void> {
  const [fixture, out] = process.argv.slice(2);
  const writer = new PcapngCaptureWriter(out, 'imapdbg kill test', 1);
  const events: ProxyEvent[] = [];
  await readCapture(fixture, (e) => { events.push(e); });
  for (const e of events.filter((x) => x.type !== 'session-close')) writer.handle(e);
  await writer.whenDrained();
  // Let the idle flush write the metadata held back, then keep writing until killed.
  await new Promise((r) => setTimeout(r, 700));
  process.stdout.write('recorded\n');
  const chunk = Buffer.alloc(100_000, 0x41);
  for (let n = 0; ; n++) {
    writer.handle({ type: 'data', session: 1, direction: 'server', timeUs: 1_900_000_000_000_000 + n, bytes: chunk, layer: 'wire' });
    if (writer.congested) await writer.whenDrained();
    else await new Promise((r) => setImmediate(r));
  }
}

void main();
