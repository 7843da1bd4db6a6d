import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fchmodSync, openSync, rmSync } from 'node:fs';
import type { Direction } from '../../imap/frame';
import { CaptureError, type ReadProgress } from '../capture-error';
import { readPcapngCapture } from './pcapng-capture-reader';
import { FramePseudonymPlanner } from './frame-pseudonym-plan';
import { PseudonymTable } from './pseudonym-table';
import { forEachOverlap, PseudonymizedCopy, streamKey, type Layer, type LiteralBody, type Patch } from './pseudonymized-copy';

export interface PseudonymizeOptions {
  overwrite?: boolean;
  onProgress?: ReadProgress;
}

export interface PseudonymizeSummary {
  /** Secret spans overwritten with `*`. */
  secrets: number;
  /** Mailbox name spans replaced. */
  mailboxes: number;
  /** Literal bodies replaced by fillers. */
  literals: number;
  /** Distinct addresses and names replaced. */
  addresses: number;
}

/**
 * Writes a copy of a pcapng capture that keeps the protocol and hides who and what: secrets as with
 * --redact, and with stable placeholders (pseudonym-table.ts) the addresses (the synthetic TCP
 * endpoints in every packet, and the client, upstream, listen, SNI and certificate names in the
 * metadata), mailbox names (command arguments, LIST/LSUB/STATUS/ACL responses, status text that
 * echoes them) and literal bodies (a filler per distinct body, its CR and LF bytes kept so the line
 * structure Wireshark dissects stays). Ports are kept: they name services, not people. Packet
 * payloads keep their lengths, so every span, offset and sequence number stays valid; metadata
 * records are rewritten (their blocks may change length) and the index is rebuilt with the new file
 * offsets. Under COMPRESS=DEFLATE the wire copy of the compressed bytes is overwritten too (its CR
 * and LF bytes kept), the inflated copy pseudonymized like plain traffic.
 *
 * Three passes: the metadata (names, addresses, what to overwrite where), the packets (digests of
 * literal bodies, so equal bodies get equal fillers), then the copy.
 */
export async function pseudonymizePcapng(input: string, output: string, options: PseudonymizeOptions = {}): Promise<PseudonymizeSummary> {
  // Refused before the passes that read the whole input (the copy is opened exclusively again below).
  if (!options.overwrite && existsSync(output)) throw new CaptureError(`${output} already exists (choose another name, or --force to replace it)`);
  const table = new PseudonymTable();
  const patches = new Map<string, Patch[]>();
  const literals = new Map<string, LiteralBody>();
  const summary: PseudonymizeSummary = { secrets: 0, mailboxes: 0, literals: 0, addresses: 0 };
  const compress = new Map<number, { commandEnd?: number; wire?: Record<Direction, number> }>();
  const planner = new FramePseudonymPlanner();
  const names = new Set<string>();
  const add = (key: string, p: Patch): void => {
    let list = patches.get(key);
    if (!list) { list = []; patches.set(key, list); }
    list.push(p);
  };

  // Pass 1: the metadata.
  await readPcapngCapture(input, (event) => {
    if (event.type === 'session-open') {
      for (const t of [event.session.client, event.session.upstream, event.session.listen]) table.endpoint(t);
      return;
    }
    if (event.type === 'tls') {
      if (event.tls.sni !== undefined) table.host(event.tls.sni);
      return;
    }
    if (event.type !== 'frame') return;
    const frame = event.frame;
    const c = compress.get(frame.session) ?? {};
    compress.set(frame.session, c);
    if (frame.direction === 'client' && frame.kind === 'command' && frame.verb === 'COMPRESS') c.commandEnd = frame.offset + frame.length;
    const where = (offset: number): { layer: Layer; offset: number } => {
      const from = c.wire?.[frame.direction];
      return from !== undefined && offset >= from ? { layer: 'inflated', offset: offset - from } : { layer: 'wire', offset };
    };
    for (const span of planner.plan(frame)) {
      if (span.action.kind === 'mailbox') { table.noteName(span.action.raw); names.add(span.action.raw); }
      const at = where(span.streamStart);
      const key = streamKey(frame.session, at.layer, frame.direction);
      const patch: Patch = { start: at.offset, end: at.offset + (span.streamEnd - span.streamStart), what: span.action };
      if (span.action.kind === 'literal') {
        const body: LiteralBody = {};
        literals.set(`${frame.session}/${frame.direction}@${span.streamStart}`, body);
        patch.literal = body;
        summary.literals += 1;
      }
      if (span.action.kind === 'mask') summary.secrets += 1;
      if (span.action.kind === 'mailbox') summary.mailboxes += 1;
      add(key, patch);
    }
    if (frame.direction === 'server' && frame.annotations.some((a) => a.kind === 'phase' && a.phase === 'compress-active') && c.commandEnd !== undefined) {
      c.wire = { client: c.commandEnd, server: frame.offset + frame.length };
      add(streamKey(frame.session, 'wire', 'client'), { start: c.wire.client, end: Number.MAX_SAFE_INTEGER, what: { kind: 'deflated' } });
      add(streamKey(frame.session, 'wire', 'server'), { start: c.wire.server, end: Number.MAX_SAFE_INTEGER, what: { kind: 'deflated' } });
    }
  }, { data: false, onProgress: options.onProgress });
  for (const list of patches.values()) list.sort((a, b) => a.start - b.start);
  // Every name gets its placeholder now, so status text met before a name's own argument finds it.
  for (const name of names) table.mailbox(name);

  // Pass 2: digests of the literal bodies.
  const offsets = new Map<string, number>();
  const cursors = new Map<string, number>();
  if (literals.size > 0) await readPcapngCapture(input, (event) => {
    if (event.type !== 'data' || event.layer === 'delivered') return;
    const key = streamKey(event.session, event.layer, event.direction);
    const start = offsets.get(key) ?? 0;
    const end = start + event.bytes.length;
    offsets.set(key, end);
    forEachOverlap(patches.get(key), cursors, key, start, end, (p, from, to) => {
      if (!p.literal) return;
      p.literal.hash ??= createHash('sha256');
      p.literal.hash.update(event.bytes.subarray(from - start, to - start));
    });
  }, { data: true, onProgress: options.onProgress });
  for (const body of literals.values()) body.id = table.literal(body.hash?.digest('hex') ?? 'empty');
  summary.addresses = table.knownTexts().length;

  // Pass 3: the copy.
  let fd: number;
  try {
    fd = openSync(output, constants.O_WRONLY | constants.O_CREAT | (options.overwrite ? constants.O_TRUNC : constants.O_EXCL), 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CaptureError(e.code === 'EEXIST' ? `${output} already exists (choose another name, or --force to replace it)` : `cannot write ${output}: ${e.message}`);
  }
  try {
    fchmodSync(fd, 0o600);
    await new PseudonymizedCopy(input, fd, table, patches, literals, options.onProgress).run();
  } catch (err) {
    closeSync(fd);
    rmSync(output, { force: true });
    throw err;
  }
  closeSync(fd);
  return summary;
}
