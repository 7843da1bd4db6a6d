import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { BLOCK_SHB } from './pcapng-blocks';

export type CaptureFormatKind = 'pcapng' | 'jsonl' | 'unknown';

/**
 * Which capture format a file holds, by its first bytes, never by its name: a pcapng section header
 * block type (0A 0D 0D 0A), or a JSON Lines capture's header record. Anything else (including an
 * unreadable or empty file, a directory or FIFO) is 'unknown', and the reader of either format explains what is wrong.
 */
export function captureFormatOf(path: string): CaptureFormatKind {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO opens at once instead of waiting for a writer; it is not a regular file,
    // so it is 'unknown' and the JSON Lines reader refuses it in its own words.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return 'unknown';
  }
  try {
    if (!fstatSync(fd).isFile()) return 'unknown';
    const head = Buffer.alloc(16);
    const got = readSync(fd, head, 0, head.length, 0);
    if (got >= 4 && head.readUInt32LE(0) === BLOCK_SHB) return 'pcapng';
    if (head.subarray(0, got).toString('latin1').startsWith('{"r":"header"')) return 'jsonl';
    return 'unknown';
  } catch {
    return 'unknown';
  } finally {
    closeSync(fd);
  }
}
