// Small hand-made frames for the TUI unit tests, built like the framer builds them.
import { SessionAnnotators } from '../../src/imap/default-annotators';
import type { Annotation, Direction, Frame, FrameKind, FramePart } from '../../src/imap/frame';

let clock = 1_700_000_000_000_000;

/** The trackers of each session, as the session model runs them; a session's frame 1 starts afresh. */
const trackers = new Map<number, SessionAnnotators>();

/**
 * The phases the session model's trackers annotate the frame with (the TUI reads IDLE and login
 * state from them), after the annotations given; given phases replace the trackers' instead.
 */
function withPhases(frame: Frame): Frame {
  let t = trackers.get(frame.session);
  if (!t || frame.seq === 1) trackers.set(frame.session, t = new SessionAnnotators());
  const phases = t.observe({ ...frame, annotations: [] }).filter((a) => a.kind === 'phase');
  if (frame.annotations.some((a) => a.kind === 'phase')) return frame;
  return { ...frame, annotations: [...frame.annotations, ...phases] };
}

/**
 * A frame of one line (plus optional literals after it), with the next sequence number of its
 * session, annotated with the trackers' phases as the session model would.
 */
export function makeFrame(session: number, seq: number, direction: Direction, kind: FrameKind, text: string,
  extra: { tag?: string; verb?: string; literals?: number[]; annotations?: Annotation[]; timeUs?: number } = {}): Frame {
  clock += 1000;
  const parts: FramePart[] = [{ type: 'line', line: { text, length: text.length + 2, offset: 0, truncated: false, ending: 'crlf' } }];
  for (const size of extra.literals ?? []) {
    parts.push({ type: 'literal', literal: { size, received: size, form: 'sync', binary: false, offset: 0, sha256: '', preview: 'x'.repeat(Math.min(size, 10)) } });
  }
  const words = text.split(' ');
  const tag = extra.tag ?? (kind === 'command' || kind === 'tagged' ? words[0] : undefined);
  const verb = extra.verb ?? (kind === 'command' || kind === 'tagged' ? words[1]?.toUpperCase()
    : kind === 'untagged' ? (/^\d+$/.test(words[1]) ? words[2] : words[1]) : undefined);
  return withPhases({ session, seq, direction, kind, timeUs: extra.timeUs ?? clock, endUs: extra.timeUs ?? clock, offset: 0, length: text.length + 2,
    tag, verb, parts, secrets: [], annotations: extra.annotations ?? [] });
}

/** A small conversation: login, select, IDLE with an EXISTS, DONE, a FETCH with a 2 MB literal, a NO. */
export function sampleConversation(session = 1): Frame[] {
  let seq = 0;
  const f = (d: Direction, k: FrameKind, t: string, e: Parameters<typeof makeFrame>[5] = {}): Frame => makeFrame(session, ++seq, d, k, t, e);
  return [
    f('server', 'greeting', '* OK ready', { verb: 'OK' }),
    f('client', 'command', 'a1 LOGIN alice secret'),
    f('server', 'tagged', 'a1 OK logged in', { annotations: [{ kind: 'pair', commandSeq: 2, command: 'LOGIN', latencyUs: 1200 }] }),
    f('client', 'command', 'a2 SELECT INBOX'),
    f('server', 'untagged', '* 3 EXISTS'),
    f('server', 'tagged', 'a2 OK [READ-WRITE] done', { annotations: [{ kind: 'pair', commandSeq: 4, command: 'SELECT', latencyUs: 900 }] }),
    f('client', 'command', 'a3 IDLE'),
    f('server', 'continuation', '+ idling'),
    f('server', 'untagged', '* 4 EXISTS'),
    f('client', 'idle-done', 'DONE'),
    f('server', 'tagged', 'a3 OK idle done', { annotations: [{ kind: 'pair', commandSeq: 7, command: 'IDLE', latencyUs: 5 }] }),
    f('client', 'command', 'a4 FETCH 4 BODY[]'),
    f('server', 'untagged', '* 4 FETCH (BODY[] {2097152}', { literals: [2 * 1024 * 1024] }),
    f('server', 'tagged', 'a4 OK fetched', { annotations: [{ kind: 'pair', commandSeq: 12, command: 'FETCH', latencyUs: 30 }] }),
    f('client', 'command', 'a5 STORE 1 +FLAGS (\\Seen)'),
    f('server', 'tagged', 'a5 NO [READ-ONLY] nope', {
      annotations: [{ kind: 'pair', commandSeq: 15, command: 'STORE', latencyUs: 3 },
        { kind: 'finding', finding: { level: 'warning', code: 'test-finding', rfc: 'RFC 3501 6.4.6', message: 'made up' } }],
    }),
  ];
}
