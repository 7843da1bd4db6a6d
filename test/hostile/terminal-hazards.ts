// What must never reach a terminal from imapdbg's output, found by bytes (the output is UTF-8).
import type { Socket } from 'node:net';

/**
 * Offsets and descriptions of bytes a terminal would interpret: C0 controls except LF, DEL, C1
 * controls in UTF-8 (c2 80 - c2 9f) and the bidi embeddings, overrides and isolates in UTF-8
 * (U+202A-U+202E: e2 80 aa-ae; U+2066-U+2069: e2 81 a6-a9).
 */
export function terminalHazards(out: Buffer | string): string[] {
  const bytes = typeof out === 'string' ? Buffer.from(out, 'utf8') : out;
  const found: string[] = [];
  for (let i = 0; i < bytes.length && found.length < 10; i += 1) {
    const b = bytes[i] ?? 0;
    const context = (): string => JSON.stringify(bytes.subarray(Math.max(0, i - 30), i + 10).toString('latin1'));
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f) found.push(`byte 0x${b.toString(16)} at ${i}: ${context()}`);
    else if (b === 0xc2 && (bytes[i + 1] ?? 0) >= 0x80 && (bytes[i + 1] ?? 0) <= 0x9f) found.push(`C1 U+00${(bytes[i + 1] ?? 0).toString(16)} at ${i}: ${context()}`);
    else if (b === 0xe2 && bytes[i + 1] === 0x80 && (bytes[i + 2] ?? 0) >= 0xaa && (bytes[i + 2] ?? 0) <= 0xae) found.push(`bidi at ${i}: ${context()}`);
    else if (b === 0xe2 && bytes[i + 1] === 0x81 && (bytes[i + 2] ?? 0) >= 0xa6 && (bytes[i + 2] ?? 0) <= 0xa9) found.push(`bidi isolate at ${i}: ${context()}`);
  }
  return found;
}

/** Collect CRLF lines from a socket as latin1 and call `onLine` for each. */
export function onLines(socket: Socket, onLine: (line: string) => void): void {
  let partial = '';
  socket.on('data', (d: Buffer) => {
    partial += d.toString('latin1');
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      onLine(partial.slice(0, i).replace(/\r$/, ''));
      partial = partial.slice(i + 1);
    }
  });
}
