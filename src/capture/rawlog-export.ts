import type { Direction } from '../imap/frame';
import { maskBytes, secretRanges, type SecretRange } from '../imap/secret-mask';
import { AppendFileSet } from './append-file-set';
import { readCapture, type CaptureReadResult } from './capture-reader';
import type { ReadProgress } from './capture-error';
import { Reframer } from './reframer';

export interface RawlogExportOptions {
  /** Only this session; otherwise every session (one pair each, `PREFIX-N.in/.out` when several). */
  session?: number;
  /** Prefix every line with `SECONDS.MICROSECONDS ` as Dovecot's rawlog does (rawlog_dir, `rawlog -t`). */
  timestamps: boolean;
  /**
   * Write LOGIN passwords and SASL data as they were; otherwise each becomes `********` (a fixed
   * width that does not tell the length); a secret literal's body becomes one `*` per byte, since
   * its `{N}` is in clear and a reader frames the literal by it.
   */
  revealSecrets?: boolean;
  onProgress?: ReadProgress;
}

interface PairState {
  /** The `.in` (client) and `.out` (server) paths. */
  files: Record<Direction, string>;
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
  const secrets = new Map<string, SecretRange[]>();
  const compressed = new Set<string>();
  // A first pass finds the sessions, so a single-session capture gets plain PREFIX.in/.out names,
  // and the secrets to mask. After COMPRESS, frame offsets count the inflated stream, not the
  // wire bytes written here (which are DEFLATE and show no secret in clear): only earlier frames count.
  // The frames are derived again from the bytes (as lint does), so a capture recorded before a
  // masking rule existed is masked by today's rules.
  const reframer = new Reframer({
    handle: (e) => {
      if (e.type !== 'frame' || options.revealSecrets || compressed.has(`${e.frame.session}/${e.frame.direction}`)) return;
      const found = secretRanges(e.frame);
      if (found.length === 0) return;
      const key = `${e.frame.session}/${e.frame.direction}`;
      const list = secrets.get(key) ?? [];
      list.push(...found);
      secrets.set(key, list);
    },
  });
  const header = await readCapture(path, (e) => {
    if (e.type === 'session-open') sessions.push(e.session.id);
    if (e.type === 'data' && e.layer === 'inflated') compressed.add(`${e.session}/${e.direction}`);
    if (e.type !== 'frame' && !options.revealSecrets) reframer.handle(e);
  }, { session: options.session, onProgress: options.onProgress });
  const position = new Map<string, number>();
  const wanted = options.session === undefined ? sessions : sessions.filter((s) => s === options.session);
  if (options.session !== undefined && wanted.length === 0) {
    throw new Error(`${path}: no session ${options.session} in the capture (sessions: ${sessions.join(', ') || 'none'})`);
  }
  const pairs = new Map<number, PairState>();
  const written: string[] = [];
  const nameOf = (id: number): string => (wanted.length === 1 ? prefix : `${prefix}-${id}`);
  // Not one open pair per session: a capture of 600 concurrent sessions would need 1200 descriptors.
  const files = new AppendFileSet();
  const writeTo = (file: string, chunk: string | Buffer): Promise<void> => files.write(file, chunk);
  await readCapture(path, async (event) => {
    if (event.type === 'session-open' && wanted.includes(event.session.id)) {
      const base = nameOf(event.session.id);
      written.push(`${base}.in`, `${base}.out`);
      pairs.set(event.session.id, {
        files: { client: `${base}.in`, server: `${base}.out` },
        atLineStart: { client: true, server: true },
      });
      // Both files exist even for a session that sent nothing, as before.
      await writeTo(`${base}.in`, '');
      await writeTo(`${base}.out`, '');
      return;
    }
    if (event.type === 'session-close') {
      const ended = pairs.get(event.session);
      if (ended) for (const file of Object.values(ended.files)) files.close(file);
      return;
    }
    if (event.type !== 'data' || event.layer !== 'wire') return;
    const pair = pairs.get(event.session);
    if (!pair) return;
    const out = pair.files[event.direction];
    const key = `${event.session}/${event.direction}`;
    const at = position.get(key) ?? 0;
    position.set(key, at + event.bytes.length);
    const bytes = maskBytes(event.bytes, at, secrets.get(key) ?? []);
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
  }, { session: options.session, onProgress: options.onProgress });
  await files.closeAll();
  return { ...header, written };
}
