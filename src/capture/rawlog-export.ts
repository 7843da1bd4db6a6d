import { createWriteStream, type WriteStream } from 'node:fs';
import type { Direction } from '../imap/frame';
import { readCapture, type CaptureReadResult } from './capture-reader';

export interface RawlogExportOptions {
  /** Only this session; otherwise every session (one pair each, `PREFIX-N.in/.out` when several). */
  session?: number;
  /** Prefix every line with `SECONDS.MICROSECONDS ` as Dovecot's rawlog does (rawlog_dir, `rawlog -t`). */
  timestamps: boolean;
}

interface PairState {
  files: Record<Direction, WriteStream>;
  atLineStart: Record<Direction, boolean>;
}

/** `1700000000.123456 `: Dovecot's "%ld.%06u " of the time the bytes were logged. */
function stamp(us: number): string {
  return `${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')} `;
}

/**
 * Writes a capture as Dovecot rawlog pairs: `.in` holds what the client sent, `.out` what the
 * server sent (the wire layer, after TLS), with a timestamp at the start of every line like
 * Dovecot's iostream-rawlog: a line continued by a later chunk gets no new timestamp.
 * Resolves with the read result and the paths written.
 */
export async function exportRawlog(path: string, prefix: string, options: RawlogExportOptions): Promise<CaptureReadResult & { written: string[] }> {
  const sessions: number[] = [];
  // A first pass finds the sessions, so a single-session capture gets plain PREFIX.in/.out names.
  const header = await readCapture(path, (e) => { if (e.type === 'session-open') sessions.push(e.session.id); });
  const wanted = options.session === undefined ? sessions : sessions.filter((s) => s === options.session);
  if (options.session !== undefined && wanted.length === 0) {
    throw new Error(`${path}: no session ${options.session} in the capture (sessions: ${sessions.join(', ') || 'none'})`);
  }
  const pairs = new Map<number, PairState>();
  const written: string[] = [];
  const nameOf = (id: number): string => (wanted.length === 1 ? prefix : `${prefix}-${id}`);
  const writeTo = (stream: WriteStream, chunk: string | Buffer): Promise<void> | void =>
    (stream.write(chunk) ? undefined : new Promise<void>((r) => stream.once('drain', () => r())));
  await readCapture(path, async (event) => {
    if (event.type === 'session-open' && wanted.includes(event.session.id)) {
      const base = nameOf(event.session.id);
      written.push(`${base}.in`, `${base}.out`);
      pairs.set(event.session.id, {
        files: { client: createWriteStream(`${base}.in`, { mode: 0o600 }), server: createWriteStream(`${base}.out`, { mode: 0o600 }) },
        atLineStart: { client: true, server: true },
      });
      return;
    }
    if (event.type !== 'data' || event.layer !== 'wire') return;
    const pair = pairs.get(event.session);
    if (!pair) return;
    const out = pair.files[event.direction];
    if (!options.timestamps) { await writeTo(out, event.bytes); return; }
    let start = 0;
    const bytes = event.bytes;
    while (start < bytes.length) {
      if (pair.atLineStart[event.direction]) await writeTo(out, stamp(event.timeUs));
      const lf = bytes.indexOf(0x0a, start);
      const end = lf < 0 ? bytes.length : lf + 1;
      await writeTo(out, bytes.subarray(start, end));
      pair.atLineStart[event.direction] = lf >= 0;
      start = end;
    }
  });
  for (const pair of pairs.values()) {
    await Promise.all(Object.values(pair.files).map((f) => new Promise<void>((r) => f.end(() => r()))));
  }
  return { ...header, written };
}
