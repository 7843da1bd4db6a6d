import { createWriteStream, type WriteStream } from 'node:fs';
import type { Direction, Frame } from '../imap/frame';
import { readCapture, type CaptureReadResult } from './capture-reader';

export interface RawlogExportOptions {
  /** Only this session; otherwise every session (one pair each, `PREFIX-N.in/.out` when several). */
  session?: number;
  /** Prefix every line with `SECONDS.MICROSECONDS ` as Dovecot's rawlog does (rawlog_dir, `rawlog -t`). */
  timestamps: boolean;
  /** Write LOGIN passwords and SASL data as they were; otherwise each secret byte becomes `*`. */
  revealSecrets?: boolean;
}

/** Byte ranges [start, end) of secrets in one direction's stream. */
type SecretRanges = Array<[number, number]>;

/**
 * Where a frame's secrets lie in its direction's byte stream. Line text is latin1, one character
 * per byte, so a span's characters are its bytes.
 */
function secretRanges(frame: Frame): SecretRanges {
  return frame.secrets.flatMap((span): SecretRanges => {
    const part = frame.parts[span.part];
    if (!part) return [];
    if (part.type === 'literal') return [[part.literal.offset, part.literal.offset + part.literal.received]];
    return 'start' in span ? [[part.line.offset + span.start, part.line.offset + span.end]] : [];
  });
}

/** A copy of `bytes` (stream offset `at`) with the secret ranges overwritten by `*`, same length. */
function masked(bytes: Buffer, at: number, ranges: SecretRanges): Buffer {
  let out = bytes;
  for (const [start, end] of ranges) {
    const from = Math.max(start, at) - at;
    const to = Math.min(end, at + bytes.length) - at;
    if (from >= to) continue;
    if (out === bytes) out = Buffer.from(bytes);
    out.fill(0x2a, from, to);
  }
  return out;
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
  const secrets = new Map<string, SecretRanges>();
  const compressed = new Set<string>();
  // A first pass finds the sessions, so a single-session capture gets plain PREFIX.in/.out names,
  // and the secrets to mask. After COMPRESS, frame offsets count the inflated stream, not the
  // wire bytes written here (which are DEFLATE and show no secret in clear): only earlier frames count.
  const header = await readCapture(path, (e) => {
    if (e.type === 'session-open') sessions.push(e.session.id);
    if (e.type === 'data' && e.layer === 'inflated') compressed.add(`${e.session}/${e.direction}`);
    if (e.type === 'frame' && !options.revealSecrets && !compressed.has(`${e.frame.session}/${e.frame.direction}`)) {
      const key = `${e.frame.session}/${e.frame.direction}`;
      secrets.set(key, [...(secrets.get(key) ?? []), ...secretRanges(e.frame)]);
    }
  });
  const position = new Map<string, number>();
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
    const key = `${event.session}/${event.direction}`;
    const at = position.get(key) ?? 0;
    position.set(key, at + event.bytes.length);
    const bytes = masked(event.bytes, at, secrets.get(key) ?? []);
    if (!options.timestamps) { await writeTo(out, bytes); return; }
    let start = 0;
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
