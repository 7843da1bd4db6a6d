import { closeSync, copyFileSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { CaptureError, type ReadProgress } from '../capture-error';
import type { Frame } from '../../imap/frame';
import { readPcapngCapture, type PacketPlace } from './pcapng-capture-reader';
import { deliveredSecretRanges } from './delivered-secrets';

export interface RedactOptions {
  /** Replace an existing output (default: refuse it). */
  overwrite?: boolean;
  /** Told how far each of the two passes has got. */
  onProgress?: ReadProgress;
}

export interface RedactSummary {
  /** Secret spans (LOGIN passwords, AUTHENTICATE data) found in the frames. */
  spans: number;
  /** Packet payload bytes overwritten. */
  bytes: number;
}

const MASK_BYTE = 0x2a; // '*'

/** Byte ranges [start, end) of a frame's secrets in its direction's stream. */
function secretRanges(frame: Frame): Array<[number, number]> {
  return frame.secrets.flatMap((span): Array<[number, number]> => {
    const part = frame.parts[span.part];
    if (!part) return [];
    if ('literal' in span) return part.type === 'literal' ? [[part.literal.offset, part.literal.offset + part.literal.received]] : [];
    // Line text is latin1, a byte per character, so character spans are byte spans from the line's start.
    return part.type === 'line' ? [[part.line.offset + span.start, part.line.offset + Math.min(span.end, part.line.length)]] : [];
  });
}

/**
 * Writes a copy of a pcapng capture safe to attach to a bug report: every LOGIN password and
 * AUTHENTICATE payload the frames mark as secret is overwritten with `*` in the packets too (the
 * metadata already holds them masked). Lengths stay the same, so every offset, span, sequence number
 * and the index stay valid. Two passes: the frames' secret spans (metadata only), then the packets
 * that carry those bytes, patched in the copy. Secrets are looked for in the wire stream: IMAP
 * allows LOGIN and AUTHENTICATE only before COMPRESS (RFC 4978: authenticated state).
 */
export async function redactPcapng(input: string, output: string, options: RedactOptions = {}): Promise<RedactSummary> {
  const ranges = new Map<string, Array<[number, number]>>();
  const changed = new Set<number>();
  let spans = 0;
  await readPcapngCapture(input, (event) => {
    if (event.type !== 'frame' || event.frame.secrets.length === 0) return;
    const key = `${event.frame.session}/${event.frame.direction}`;
    const found = secretRanges(event.frame);
    spans += found.length;
    ranges.set(key, [...(ranges.get(key) ?? []), ...found]);
  }, { data: false, onProgress: options.onProgress, packets: (p) => { if (p.layer === 'delivered') changed.add(p.session); } });
  // Sessions imapdbg changed also carry what it delivered to each peer: their secrets, at their own offsets.
  const delivered = await deliveredSecretRanges(input, changed, options.onProgress);
  try {
    copyFileSync(input, output, options.overwrite ? 0 : constants.COPYFILE_EXCL);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CaptureError(e.code === 'EEXIST' ? `${output} already exists (choose another name, or --force to replace it)` : `cannot write ${output}: ${e.message}`);
  }
  const fd = openSync(output, 'r+');
  let bytes = 0;
  try {
    fchmodSync(fd, 0o600);
    const patch = (p: PacketPlace): void => {
      if (p.layer === 'inflated') return;
      for (const [start, end] of (p.layer === 'wire' ? ranges : delivered).get(`${p.session}/${p.direction}`) ?? []) {
        const from = Math.max(start, p.streamOffset);
        const to = Math.min(end, p.streamOffset + p.length);
        if (from >= to) continue;
        writeSync(fd, Buffer.alloc(to - from, MASK_BYTE), 0, to - from, p.fileOffset + (from - p.streamOffset));
        bytes += to - from;
      }
    };
    await readPcapngCapture(input, () => undefined, { data: false, packets: patch, onProgress: options.onProgress });
  } finally {
    closeSync(fd);
  }
  return { spans, bytes };
}
