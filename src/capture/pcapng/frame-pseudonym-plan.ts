import type { Frame } from '../../imap/frame';
import { MailboxArgumentTracker } from './mailbox-arguments';

/** What one span of a frame becomes in a pseudonymized copy. */
export type SpanAction =
  | { kind: 'mailbox'; raw: string }
  /** A status line's free text: known names in it replaced, same length. */
  | { kind: 'text'; raw: string }
  | { kind: 'mask' }
  | { kind: 'literal' };

/** A span of a frame: characters [start, end) of line part `part`, or a whole literal part. */
export interface PlannedSpan {
  part: number;
  /** Offsets in the frame's direction stream (logical: wire bytes, then inflated ones after COMPRESS). */
  streamStart: number;
  streamEnd: number;
  /** Character range in the line part (line parts only). */
  start?: number;
  end?: number;
  action: SpanAction;
}

/**
 * Plans, frame by frame in stream order, what a pseudonymized export overwrites: mailbox arguments,
 * the free text of status responses (where servers echo mailbox names: `NO Mailbox doesn't exist:
 * Work`), secrets and literal bodies. The same plan is applied to the packets and to the frame
 * records, so both stay in step. One planner per capture: it follows each session's directions.
 */
export class FramePseudonymPlanner {
  private readonly trackers = new Map<string, MailboxArgumentTracker>();

  plan(frame: Frame): PlannedSpan[] {
    const key = `${frame.session}/${frame.direction}`;
    let tracker = this.trackers.get(key);
    if (!tracker) { tracker = new MailboxArgumentTracker(); this.trackers.set(key, tracker); }
    const out: PlannedSpan[] = [];
    const covered = new Set<number>();
    const lineSpan = (part: number, start: number, end: number, action: SpanAction): void => {
      const p = frame.parts[part];
      if (p?.type !== 'line' || end <= start) return;
      out.push({ part, start, end, streamStart: p.line.offset + start, streamEnd: p.line.offset + end, action });
    };
    const literalSpan = (part: number, action: SpanAction): void => {
      const p = frame.parts[part];
      if (p?.type !== 'literal' || covered.has(part)) return;
      covered.add(part);
      out.push({ part, streamStart: p.literal.offset, streamEnd: p.literal.offset + p.literal.received, action });
    };
    for (const s of frame.secrets) {
      if ('literal' in s) literalSpan(s.part, { kind: 'mask' });
      else {
        const p = frame.parts[s.part];
        if (p?.type === 'line') lineSpan(s.part, s.start, Math.min(s.end, p.line.length), { kind: 'mask' });
      }
    }
    for (const m of tracker.spans(frame)) {
      if ('literal' in m) {
        const p = frame.parts[m.part];
        // A name short enough to be whole in the preview keeps its length; a longer one is a literal like any other.
        if (p?.type === 'literal' && p.literal.preview.length === p.literal.received && !covered.has(m.part)) {
          covered.add(m.part);
          out.push({ part: m.part, streamStart: p.literal.offset, streamEnd: p.literal.offset + p.literal.received, action: { kind: 'mailbox', raw: p.literal.preview } });
        }
      } else {
        lineSpan(m.part, m.start, m.end, { kind: 'mailbox', raw: m.raw });
      }
    }
    frame.parts.forEach((p, i) => { if (p.type === 'literal') literalSpan(i, { kind: 'literal' }); });
    const status = statusText(frame);
    if (status) lineSpan(0, status.start, status.end, { kind: 'text', raw: status.raw });
    return out;
  }
}

/** The human-readable text of a server status response (after the status word and any response code). */
function statusText(frame: Frame): { start: number; end: number; raw: string } | undefined {
  if (frame.direction !== 'server' || (frame.kind !== 'tagged' && frame.kind !== 'untagged' && frame.kind !== 'greeting')) return undefined;
  const first = frame.parts[0];
  if (first?.type !== 'line') return undefined;
  const m = /^\S+ (?:OK|NO|BAD|BYE|PREAUTH)(?: \[[^\]]*\])? ?/i.exec(first.line.text);
  if (!m) return undefined;
  return { start: m[0].length, end: first.line.text.length, raw: first.line.text.slice(m[0].length) };
}
