import { existsSync, readFileSync } from 'node:fs';
import type { Direction } from '../imap/frame';
import { isGreeting, classifyServerLine } from '../imap/line-syntax';
import { ImportFormatError, writeImportedCapture, type ImportedChunk, type ImportSummary } from './rawlog-import';

// `socat -v` writes, for every block it forwards, a header line and then the block as text:
//   > 2024/01/01 12:00:00.000123456  length=17 from=0 to=16
// `>` is data from socat's first address to its second, `<` the other way; from/to count the
// direction's bytes (to = from + length - 1). In the text, CR shows as `\r` and a backslash as
// `\\`; LF and tab stay as they are; other non-printable bytes show as `.` (lossy: use -x for
// exact bytes). A block that does not end with LF is followed directly by the next header.
const HEADER = /^([<>]) ([0-9]{4})\/([0-9]{2})\/([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]+)  length=([0-9]+) from=([0-9]+) to=([0-9]+)\n/;

interface Block {
  mark: '>' | '<';
  timeUs: number;
  bytes: Buffer;
}

/** Parses a `socat -v` log into blocks; throws ImportFormatError naming the file, line and expectation. */
export function parseSocatLog(path: string): Block[] {
  if (!existsSync(path)) throw new ImportFormatError(`${path}: no such file`);
  const text = readFileSync(path).toString('latin1');
  const blocks: Block[] = [];
  const next = { '>': 0, '<': 0 };
  let pos = 0;
  let line = 1;
  // socat 1.7.x prints microseconds padded to 9 digits ("05:28:21.000717854"); newer ones nanoseconds.
  const fractions = [...text.matchAll(/^[<>] \S+ \S+\.([0-9]+)  length=/gm)].map((m) => m[1]);
  const microsIn9 = fractions.length > 0 && fractions.every((f) => f.length === 9 && f.startsWith('000'));
  while (pos < text.length) {
    const m = HEADER.exec(text.slice(pos, pos + 200));
    if (!m) {
      throw new ImportFormatError(`${path}:${line}: expected a socat -v block header like "> 2024/01/01 12:00:00.000000  length=17 from=0 to=16" (socat -v, not -x)`);
    }
    const mark = m[1] as '>' | '<';
    const [length, from, to] = [Number(m[9]), Number(m[10]), Number(m[11])];
    if (from !== next[mark] || to !== from + length - 1) {
      throw new ImportFormatError(`${path}:${line}: expected from=${next[mark]} to=${next[mark] + length - 1} for ${length} more bytes in the "${mark}" direction, got from=${from} to=${to}`);
    }
    const headerLine = line;
    pos += m[0].length;
    line += 1;
    const bytes = Buffer.alloc(length);
    for (let n = 0; n < length; n++) {
      if (pos >= text.length) {
        throw new ImportFormatError(`${path}:${line}: expected ${length - n} more bytes of the block announced at line ${headerLine} (length=${length}); the log ends first`);
      }
      let c = text.charCodeAt(pos);
      if (c === 0x5c && text[pos + 1] === 'r') { c = 0x0d; pos += 2; }
      else if (c === 0x5c && text[pos + 1] === '\\') { pos += 2; }
      else pos += 1;
      if (c === 0x0a) line += 1;
      bytes[n] = c;
    }
    next[mark] += length;
    const frac = m[8];
    const fracUs = microsIn9 ? Number(frac) : Math.floor(Number(`0.${frac}`) * 1_000_000);
    // socat prints local time without a zone: read it as this machine's local time.
    const whole = new Date(Number(m[2]), Number(m[3]) - 1, Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])).getTime();
    blocks.push({ mark, timeUs: whole * 1000 + fracUs, bytes });
  }
  return blocks;
}

/**
 * Reads a `socat -v` log of one IMAP connection and writes it as a capture. The side whose first
 * block is a greeting (`* OK`, `* PREAUTH`, `* BYE`) is the server; otherwise `>` is the client
 * (socat's first address is the listening side: `socat -v TCP-LISTEN:1143 TCP:server:143`).
 */
export async function importSocat(path: string, outPath: string, tool: string): Promise<ImportSummary> {
  const blocks = parseSocatLog(path);
  const firstOf = (mark: '>' | '<'): string => blocks.find((b) => b.mark === mark)?.bytes.toString('latin1').split('\r\n')[0] ?? '';
  const greets = (mark: '>' | '<'): boolean => isGreeting(classifyServerLine(firstOf(mark)));
  const serverMark: '>' | '<' = greets('>') && !greets('<') ? '>' : '<';
  const chunks: ImportedChunk[] = blocks.map((b): ImportedChunk => {
    const direction: Direction = b.mark === serverMark ? 'server' : 'client';
    return { direction, timeUs: b.timeUs, bytes: b.bytes };
  });
  const notes = ['socat -v shows non-printable bytes as "."; they are imported as "." (socat -x keeps them)'];
  if (serverMark === '>') notes.push('"<" blocks are the client here: the server greeted in the ">" direction');
  return writeImportedCapture(outPath, chunks, tool, { client: `socat ${path} (${serverMark === '<' ? '>' : '<'})`, upstream: `socat ${path} (${serverMark})` }, notes);
}
