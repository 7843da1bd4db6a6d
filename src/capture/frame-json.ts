import type { Frame } from '../imap/frame';
import { frameText, MASK } from '../imap/frame-text';

/** A frame as one self-describing JSON object (the `export --format json` record); secrets masked unless revealed. */
export function frameJson(frame: Frame, revealSecrets: boolean): Record<string, unknown> {
  const secretParts = new Set(frame.secrets.filter((s) => 'literal' in s).map((s) => s.part));
  const literals = frame.parts.flatMap((p, index) => (p.type === 'literal'
    ? [{ ...p.literal, preview: !revealSecrets && secretParts.has(index) ? MASK : p.literal.preview }]
    : []));
  return {
    session: frame.session,
    seq: frame.seq,
    time: new Date(Math.floor(frame.timeUs / 1000)).toISOString(),
    timeUs: frame.timeUs,
    endUs: frame.endUs,
    direction: frame.direction,
    kind: frame.kind,
    tag: frame.tag,
    verb: frame.verb,
    text: frameText(frame, { revealSecrets }),
    offset: frame.offset,
    length: frame.length,
    literals,
    annotations: frame.annotations,
  };
}
