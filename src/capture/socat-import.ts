import type { Direction } from '../imap/frame';
import { isGreeting, classifyServerLine } from '../imap/line-syntax';
import { ImportFormatError } from './import-format-error';
import { ImportedCaptureWriter, type ImportSummary } from './imported-capture';
import { InputFileError, openRegularFile } from './record-lines';
import { SocatLogParser, type SocatBlockHeader } from './socat-log-parser';

/** Headers seen before deciding how to read the fractions of a second; 64 alike are no accident. */
const FRACTION_SAMPLE = 64;
/** Decoded bytes held while deciding which side is the server; past this, decide with what is known. */
const MAX_HELD_BYTES = 1024 * 1024;
/** Of each side's first block, this much is kept to find a greeting. */
const FIRST_BLOCK_BYTES = 4096;
const READ_BYTES = 64 * 1024;

type Mark = '>' | '<';
type Item = { header: SocatBlockHeader } | { mark: Mark; bytes: Buffer };

/** How the log is read, decided once enough of it was seen. */
interface Reading {
  serverMark: Mark;
  /** socat 1.7.x prints microseconds padded to 9 digits ("05:28:21.000717854"); newer ones nanoseconds. */
  microsIn9: boolean;
}

/** The start of each side's first block, and whether it is complete. */
class FirstBlocks {
  private readonly blocks: Partial<Record<Mark, { header: SocatBlockHeader; text: string }>> = {};
  private current: SocatBlockHeader | undefined;

  header(h: SocatBlockHeader): void {
    this.current = h;
    this.blocks[h.mark] ??= { header: h, text: '' };
  }

  bytes(mark: Mark, bytes: Buffer): void {
    const b = this.blocks[mark];
    if (b && b.header === this.current && b.text.length < FIRST_BLOCK_BYTES) b.text += bytes.subarray(0, FIRST_BLOCK_BYTES - b.text.length).toString('latin1');
  }

  /** Both sides' first blocks were seen whole (or their first 4 KiB). */
  get complete(): boolean {
    return (['>', '<'] as const).every((m) => {
      const b = this.blocks[m];
      return b !== undefined && (b.header !== this.current || b.text.length >= Math.min(b.header.length, FIRST_BLOCK_BYTES));
    });
  }

  greets(mark: Mark): boolean {
    return isGreeting(classifyServerLine(this.blocks[mark]?.text.split('\r\n')[0] ?? ''));
  }
}

/**
 * Reads a `socat -v` log of one IMAP connection and writes it as a capture, streaming: memory stays
 * a few MB whatever the log's size or a block's length. The side whose first block is a greeting
 * (`* OK`, `* PREAUTH`, `* BYE`) is the server; otherwise `>` is the client (socat's first address
 * is the listening side: `socat -v TCP-LISTEN:1143 TCP:server:143`). Blocks are held until both
 * sides' first blocks and 64 headers were seen (at most 1 MB of them). A log that turns out bad
 * leaves no capture behind.
 */
export async function importSocat(path: string, outPath: string, tool: string, overwrite = false): Promise<ImportSummary> {
  let opened;
  try {
    opened = await openRegularFile(path, 'socat log');
  } catch (err) {
    throw err instanceof InputFileError ? new ImportFormatError(err.message) : err;
  }
  const { handle } = opened;
  const firsts = new FirstBlocks();
  const queue: Item[] = [];
  let queuedBytes = 0;
  let mark: Mark = '<';
  let headers = 0;
  let all9 = true;
  let reading: Reading | undefined;
  let out: ImportedCaptureWriter | undefined;
  let timeUs: number | undefined;
  const parser = new SocatLogParser(path, (header) => {
    headers += 1;
    all9 &&= header.fraction.length === 9 && header.fraction.startsWith('000');
    mark = header.mark;
    firsts.header(header);
    queue.push({ header });
  }, (bytes) => {
    if (!reading) firsts.bytes(mark, bytes);
    queue.push({ mark, bytes });
    queuedBytes += bytes.length;
  });
  const decide = (): Reading => ({ serverMark: firsts.greets('>') && !firsts.greets('<') ? '>' : '<', microsIn9: headers > 0 && all9 });
  const drain = async (r: Reading): Promise<void> => {
    for (const item of queue.splice(0)) {
      if ('header' in item) { timeUs = timeOf(item.header, r.microsIn9); continue; }
      out ??= new ImportedCaptureWriter(outPath, tool, timeUs ?? Date.now() * 1000, peersOf(path, r.serverMark), overwrite);
      const direction: Direction = item.mark === r.serverMark ? 'server' : 'client';
      await out.add({ direction, timeUs: timeUs ?? 0, bytes: item.bytes });
    }
    queuedBytes = 0;
  };
  try {
    const chunk = Buffer.alloc(READ_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      parser.push(chunk.subarray(0, bytesRead));
      if (!reading && (queuedBytes > MAX_HELD_BYTES || (firsts.complete && (headers >= FRACTION_SAMPLE || !all9)))) reading = decide();
      if (reading) await drain(reading);
    }
    parser.end();
    reading ??= decide();
    await drain(reading);
    out ??= new ImportedCaptureWriter(outPath, tool, Date.now() * 1000, peersOf(path, reading.serverMark), overwrite);
  } catch (err) {
    await out?.abandon();
    throw err instanceof Error && 'code' in err ? new ImportFormatError(`cannot read socat log ${path}: ${String((err as NodeJS.ErrnoException).code)}`) : err;
  } finally {
    await handle.close();
  }
  const notes = ['socat -v shows non-printable bytes as "."; they are imported as "." (socat -x keeps them)'];
  if (reading.serverMark === '>') notes.push('"<" blocks are the client here: the server greeted in the ">" direction');
  return out.finish(notes);
}

function peersOf(path: string, serverMark: Mark): { client: string; upstream: string } {
  return { client: `socat ${path} (${serverMark === '<' ? '>' : '<'})`, upstream: `socat ${path} (${serverMark})` };
}

/** A header's time in µs; socat prints local time without a zone: read it as this machine's local time. */
function timeOf(h: SocatBlockHeader, microsIn9: boolean): number {
  const fracUs = microsIn9 ? Number(h.fraction) : Math.floor(Number(`0.${h.fraction}`) * 1_000_000);
  const [y, mo, d, hh, mi, s] = h.clock;
  return new Date(y, mo - 1, d, hh, mi, s).getTime() * 1000 + fracUs;
}
