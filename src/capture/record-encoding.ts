import type { Frame, FramePart } from '../imap/frame';
import type { ProxyEvent } from '../imap/events';
import { frameText } from '../imap/frame-text';
import { directionCode, layerCode } from './format';

/**
 * One event as one capture line (format v2, see format.ts). Frames are written with their secrets
 * overwritten: the raw `data` records keep every byte, and `--reveal-secrets` re-derives the frames
 * from them, so the frame records need not repeat a password in clear.
 */

/** One event as one capture line. Data records are built by hand: base64 needs no escaping. */
export function encodeRecord(event: ProxyEvent): string {
  switch (event.type) {
    case 'data':
      // Fixed key order: frame-bytes.ts finds a session's data records by this prefix.
      return `{"r":"data","t":${event.timeUs},"s":${event.session},"d":"${directionCode(event.direction)}","l":"${layerCode(event.layer)}","b":"${event.bytes.toString('base64')}"}\n`;
    case 'intervention':
      // The detail is masked by whoever made the change; the delivered data records keep the bytes.
      return `${JSON.stringify({ r: 'change', t: event.timeUs, s: event.session, c: event.intervention })}\n`;
    case 'frame':
      return `${JSON.stringify({ r: 'frame', text: frameText(event.frame, { revealSecrets: false }), f: withSecretsOverwritten(event.frame) })}\n`;
    case 'session-open':
      return `${JSON.stringify({ r: 'session-open', session: event.session })}\n`;
    case 'finding':
      return `${JSON.stringify({ r: 'finding', t: event.timeUs, s: event.session, finding: event.finding })}\n`;
    case 'tls':
      return `${JSON.stringify({ r: 'tls', t: event.timeUs, s: event.session, tls: event.tls })}\n`;
    case 'session-close':
      return `${JSON.stringify({ r: 'session-close', t: event.timeUs, s: event.session, end: event.end, bytes: event.bytes, frames: event.frames })}\n`;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * The frame with each secret character replaced by `*`, same length, so the secret spans still
 * point at the right characters; literal previews under a secret span become all `*` too.
 */
export function withSecretsOverwritten(frame: Frame): Frame {
  if (frame.secrets.length === 0) return frame;
  const parts = frame.parts.map((part, index): FramePart => {
    const spans = frame.secrets.filter((s) => s.part === index);
    if (spans.length === 0) return part;
    if (part.type === 'literal') return { type: 'literal', literal: { ...part.literal, preview: '*'.repeat(part.literal.preview.length) } };
    let text = part.line.text;
    for (const span of spans) {
      if (!('start' in span)) continue;
      const end = Math.min(span.end, text.length);
      if (span.start < end) text = text.slice(0, span.start) + '*'.repeat(end - span.start) + text.slice(end);
    }
    return { type: 'line', line: { ...part.line, text } };
  });
  return { ...frame, parts };
}
