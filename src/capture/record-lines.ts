import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Longest capture record read, in bytes. The writer's records are far smaller (a data record holds
 * one socket read, a frame record previews of at most 64 KiB per line and 4 KiB per literal), so a
 * longer line is not a record imapdbg wrote: reading stops there instead of growing without bound.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

const CHUNK_BYTES = 1024 * 1024;

/** An input file that cannot be read as records: the message names the file (and line). */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

/** What kind of thing a path is, for "is a directory" style messages. */
function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Opens a regular file for reading, or throws InputFileError naming it. O_NONBLOCK makes opening
 * a FIFO return at once (a plain open waits for a writer, forever), and the kind is checked on the
 * opened descriptor, so nothing can be swapped in between.
 */
export async function openRegularFile(path: string, what: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'ENOENT (no such file)' : e.code === 'EACCES' ? 'EACCES (permission denied)' : (e.code ?? e.message);
    throw new InputFileError(`cannot read ${what} ${path}: ${reason}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new InputFileError(`cannot read ${what} ${path}: it is ${kindOf(stat)}, not a regular file`);
  }
  return { handle, size: stat.size };
}

/** One line of a file, without its LF; `complete` is false for a last line with no LF. */
export interface RecordLine {
  text: string;
  lineNo: number;
  complete: boolean;
}

/**
 * The lines of a regular file, read in 1 MiB chunks: memory holds one chunk plus the line being
 * assembled, which may not exceed `maxBytes` (InputFileError "file:line: record longer than ...").
 * Node's readline has no such bound: a 300 MB line cost 722 MB of RSS and one over 512 MB threw
 * "Invalid string length".
 */
export async function* recordLines(path: string, what: string, maxBytes = MAX_RECORD_BYTES,
  onProgress?: (bytesRead: number, totalBytes: number) => void): AsyncGenerator<RecordLine> {
  const { handle, size } = await openRegularFile(path, what);
  let bytesRead = 0;
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let lineNo = 1;
  const tooLong = (): InputFileError => new InputFileError(`${path}:${lineNo}: record longer than ${maxBytes} bytes; not a record imapdbg writes`);
  try {
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(chunk, 0, chunk.length, null));
      } catch (err) {
        throw new InputFileError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (n === 0) break;
      bytesRead += n;
      onProgress?.(bytesRead, size);
      let pos = 0;
      while (pos < n) {
        const lf = chunk.indexOf(10, pos);
        if (lf === -1 || lf >= n) {
          if (pendingLength + (n - pos) > maxBytes) throw tooLong();
          pending.push(Buffer.from(chunk.subarray(pos, n)));
          pendingLength += n - pos;
          break;
        }
        if (pendingLength + (lf - pos) > maxBytes) throw tooLong();
        const piece = chunk.subarray(pos, lf);
        const text = pendingLength === 0 ? piece.toString('utf8') : Buffer.concat([...pending, piece]).toString('utf8');
        pending = [];
        pendingLength = 0;
        yield { text, lineNo, complete: true };
        lineNo += 1;
        pos = lf + 1;
      }
    }
    if (pendingLength > 0) yield { text: Buffer.concat(pending).toString('utf8'), lineNo, complete: false };
  } finally {
    await handle.close();
  }
}
