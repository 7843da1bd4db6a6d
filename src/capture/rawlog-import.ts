import { readFileSync, statSync } from 'node:fs';
import type { Direction } from '../imap/frame';
import { DEFAULT_LIMITS, DirectionFramer } from '../imap/direction-framer';
import { classifyClientLine, classifyServerLine, type ClientLine } from '../imap/line-syntax';
import { ImportFormatError } from './import-format-error';
import { ImportedCaptureWriter, type ImportedChunk, type ImportPeers, type ImportSummary } from './imported-capture';

export { ImportFormatError } from './import-format-error';
export type { ImportedChunk, ImportSummary } from './imported-capture';

/**
 * Largest rawlog file imported. A pair without timestamps can only be interleaved with both sides
 * in hand, so the files are read whole; this bound keeps that from taking the machine's memory.
 */
export const MAX_RAWLOG_BYTES = 256 * 1024 * 1024;

// Dovecot's iostream-rawlog writes "%ld.%06u " (seconds.microseconds and a space) at the start of
// every line when timestamps are on: rawlog_dir always, the rawlog binary with -t.
const TIMESTAMP = /^([0-9]+)\.([0-9]{6}) /;
// The single-file buffered form adds "I: " / "O> " markers after the timestamp.
const BUFFERED_MARK = /^[0-9]+\.[0-9]{6} [IO][:>] /;

/** `PREFIX.in` and `PREFIX.out` from a prefix, a `.in` or a `.out` path. */
export function rawlogPaths(prefix: string): { in: string; out: string } {
  const base = prefix.replace(/\.(in|out)$/, '');
  return { in: `${base}.in`, out: `${base}.out` };
}

/**
 * One rawlog file as chunks, one per logged line (the LF kept), with the line's timestamp when
 * the file has them. Whether it has them is decided by the first line; every later line must agree.
 */
export function parseRawlogFile(path: string, direction: Direction): { chunks: ImportedChunk[]; timestamped: boolean } {
  const text = readRawlog(path).toString('latin1');
  const lines: string[] = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const timestamped = lines.length > 0 && TIMESTAMP.test(lines[0]);
  if (lines.length > 0 && BUFFERED_MARK.test(lines[0])) {
    throw new ImportFormatError(`${path}:1: this is a buffered rawlog (both directions in one file, "I:"/"O>" markers); expected a .in/.out pair`);
  }
  const chunks: ImportedChunk[] = [];
  const mtimeUs = Math.floor(statSync(path).mtimeMs * 1000);
  lines.forEach((line, i) => {
    let body = line;
    let timeUs = mtimeUs;
    if (timestamped) {
      const m = TIMESTAMP.exec(line);
      if (!m) {
        throw new ImportFormatError(`${path}:${i + 1}: expected a rawlog timestamp "SECONDS.MICROSECONDS " at the start of the line (the file's first line has one)`);
      }
      timeUs = Number(m[1]) * 1_000_000 + Number(m[2]);
      body = line.slice(m[0].length);
    }
    if (body.length > 0) chunks.push({ direction, timeUs, bytes: Buffer.from(body, 'latin1') });
  });
  return { chunks, timestamped };
}

/** A rawlog file's bytes; an absent, non-regular or oversized file is an ImportFormatError naming it. */
function readRawlog(path: string): Buffer {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImportFormatError(`${path}: no such file (a Dovecot rawlog is a pair PREFIX.in / PREFIX.out)`);
    throw new ImportFormatError(`cannot read rawlog ${path}: ${code ?? (err as Error).message}`);
  }
  // A FIFO would block the read until a writer comes, a device may never end.
  if (!stat.isFile()) throw new ImportFormatError(`cannot read rawlog ${path}: it is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}`);
  if (stat.size > MAX_RAWLOG_BYTES) {
    throw new ImportFormatError(`cannot import rawlog ${path}: ${stat.size} bytes, more than the ${MAX_RAWLOG_BYTES} this import reads into memory`);
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ImportFormatError(`cannot read rawlog ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Reads a Dovecot rawlog pair (with or without timestamps) and writes it as a capture. */
export async function importRawlog(prefix: string, outPath: string, tool: string, overwrite = false): Promise<ImportSummary> {
  const paths = rawlogPaths(prefix);
  const client = parseRawlogFile(paths.in, 'client');
  const server = parseRawlogFile(paths.out, 'server');
  const notes: string[] = [];
  let chunks: ImportedChunk[];
  if (client.timestamped && server.timestamped) {
    chunks = mergeByTime(client.chunks, server.chunks);
  } else {
    chunks = mergeByProtocol(client.chunks, server.chunks);
    notes.push('the rawlog has no timestamps: the two directions were interleaved by the protocol (each command, then its responses) and times are synthetic');
  }
  const first = server.chunks[0]?.bytes.toString('latin1') ?? '';
  if (classifyServerLine(first.replace(/\r?\n$/, '')).kind === 'tagged') {
    notes.push('the log starts after login (no greeting): Dovecot\'s rawlog_dir records post-login traffic only, so the first frames are flagged');
  }
  return writeImportedCapture(outPath, chunks, tool, { client: `rawlog ${paths.in}`, upstream: `rawlog ${paths.out}` }, notes, overwrite);
}

/** Both directions in time order; on equal times the client first (a response follows its command). */
export function mergeByTime(client: ImportedChunk[], server: ImportedChunk[]): ImportedChunk[] {
  const out: ImportedChunk[] = [];
  let i = 0;
  let j = 0;
  while (i < client.length || j < server.length) {
    if (j >= server.length || (i < client.length && client[i].timeUs <= server[j].timeUs)) out.push(client[i++]);
    else out.push(server[j++]);
  }
  return out;
}

/** Line chunks joined into one protocol message; `awaitsContinuation` when it ends announcing a synchronizing literal. */
interface Unit {
  chunks: ImportedChunk[];
  awaitsContinuation: boolean;
}

/**
 * Joins line chunks into protocol units with the live framer (every literal form: `{N}`, `{N+}`,
 * `{N-}`, `~{N}`; literal bodies never scanned for line ends). `syncGates` cuts a unit after a
 * synchronizing literal's announcement, where a client waits for `+`. Units end at line ends, and
 * every chunk ends at one, so a unit is always whole chunks.
 */
function units(chunks: ImportedChunk[], direction: Direction, syncGates: boolean): Unit[] {
  const result: Unit[] = [];
  let current: ImportedChunk[] = [];
  let ended: boolean | undefined;
  const framer = new DirectionFramer(direction, {
    gateLiteral: (a) => (syncGates && a.form === 'sync' ? 'sync' : 'inline'),
    segment: (s) => { ended = s.awaitsContinuation; },
  }, { ...DEFAULT_LIMITS, literalDigest: 'none' });
  for (const chunk of chunks) {
    current.push(chunk);
    framer.push(chunk.bytes, 0);
    if (ended === undefined) continue;
    result.push({ chunks: current, awaitsContinuation: ended });
    current = [];
    ended = undefined;
  }
  if (current.length) result.push({ chunks: current, awaitsContinuation: false });
  return result;
}

/**
 * Interleaves two directions that carry no times, following the protocol: the server's first
 * response, then each client unit followed by what the server said to it: up to the `+` the client
 * waits for (a synchronizing literal, AUTHENTICATE, IDLE) or up to the tagged responses of every
 * command sent so far. Best effort for pipelined clients; framing only needs `+` and tagged order.
 */
export function mergeByProtocol(client: ImportedChunk[], server: ImportedChunk[]): ImportedChunk[] {
  // A client unit ends at a synchronizing literal (it waits for `+`); LITERAL+ bodies stay inline.
  const clientUnits = units(client, 'client', true);
  const serverUnits = units(server, 'server', false).map((u) => u.chunks);
  const out: ImportedChunk[] = [];
  let s = 0;
  const emitServer = (stop: (line: ReturnType<typeof classifyServerLine>) => boolean): void => {
    while (s < serverUnits.length) {
      const unit = serverUnits[s++];
      for (const c of unit) out.push(c);
      const text = unit[0].bytes.toString('latin1').replace(/\r?\n$/, '');
      if (stop(classifyServerLine(text))) return;
    }
  };
  const nextServer = (): ReturnType<typeof classifyServerLine> | undefined =>
    s < serverUnits.length ? classifyServerLine(serverUnits[s][0].bytes.toString('latin1').replace(/\r?\n$/, '')) : undefined;
  if (serverUnits.length) for (const c of serverUnits[s++]) out.push(c);
  const pending = new Set<string>();
  let currentTag = '';
  let waitsFor: 'none' | 'literal' | 'idle' = 'none';
  let inAuth = false;
  const untilContinuation = (l: ReturnType<typeof classifyServerLine>): boolean =>
    l.kind === 'continuation' || (l.kind === 'tagged' && l.tag === currentTag);
  for (const { chunks: unit, awaitsContinuation } of clientUnits) {
    const text = unit.map((c) => c.bytes.toString('latin1')).join('');
    const line: ClientLine | undefined = waitsFor === 'literal' || inAuth ? undefined : classifyClientLine(text.split('\n')[0].replace(/\r$/, ''));
    if (waitsFor !== 'none') emitServer(untilContinuation);
    if (line?.kind === 'idle-done') {
      // Updates during IDLE come before DONE.
      while (nextServer()?.kind === 'untagged') emitServer(() => true);
    } else if (!inAuth && waitsFor === 'none' && pending.size > 0) {
      emitServer((l) => {
        if (l.kind === 'tagged') pending.delete(l.tag);
        return pending.size === 0;
      });
    }
    for (const c of unit) out.push(c);
    if (line?.kind === 'command') {
      currentTag = line.tag;
      pending.add(line.tag);
      inAuth = line.verb === 'AUTHENTICATE';
    }
    waitsFor = awaitsContinuation ? 'literal' : line?.kind === 'command' && line.verb === 'IDLE' ? 'idle' : 'none';
    if (inAuth) {
      // Each SASL step waits for the server's challenge or the tagged result (RFC 3501 6.2.2).
      emitServer(untilContinuation);
      const last = out[out.length - 1].bytes.toString('latin1').replace(/\r?\n$/, '');
      const l = classifyServerLine(last);
      if (l.kind === 'tagged' && l.tag === currentTag) { inAuth = false; pending.delete(currentTag); }
    }
  }
  emitServer(() => false);
  // Synthetic times keep the merged order; a microsecond apart.
  // A loop, not Math.min(...all): a spread of every chunk overflows the call stack on a big import.
  let base = Number.MAX_SAFE_INTEGER;
  for (const c of client) base = Math.min(base, c.timeUs);
  for (const c of server) base = Math.min(base, c.timeUs);
  return out.map((c, i) => ({ ...c, timeUs: base + i }));
}

/** Writes imported chunks, in order, as a capture of one session. */
export async function writeImportedCapture(outPath: string, chunks: ImportedChunk[], tool: string,
  peers: ImportPeers, notes: string[], overwrite = false): Promise<ImportSummary> {
  const out = new ImportedCaptureWriter(outPath, tool, chunks[0]?.timeUs ?? Date.now() * 1000, peers, overwrite);
  for (const c of chunks) await out.add(c);
  return out.finish(notes);
}
