import type { Annotation, Frame } from './frame';
import { frameText } from './frame-text';
import { oneLineText } from './terminal-text';
import type { ProxyEvent, SessionEnd, SessionInfo } from './events';
import { interventionText } from './intervention-text';

/** Options shared by every textual view of frames (headless, export, lint). */
export interface NotationOptions {
  revealSecrets: boolean;
  /** Print times in UTC rather than local time (tests and exports stay reproducible). */
  utc?: boolean;
  /** Characters of a line to show; a terminal view caps it, an export does not. */
  maxLineChars?: number;
}

/** The `HH:MM:SS` of the last second clockTime formatted, per time zone choice: frames come many per second. */
const lastSecond = { utc: { second: NaN, text: '' }, local: { second: NaN, text: '' } };

/** `HH:MM:SS.mmmmmm` of a microsecond timestamp. */
export function clockTime(us: number, utc = false): string {
  const second = Math.floor(us / 1_000_000);
  const last = utc ? lastSecond.utc : lastSecond.local;
  if (last.second !== second) {
    const d = new Date(second * 1000);
    last.text = utc ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      : `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    last.second = second;
  }
  const frac = String(Math.floor(us - second * 1_000_000)).padStart(6, '0');
  return `${last.text}.${frac}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A latency in µs, human sized. */
export function formatLatency(us: number): string {
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** One annotation in brackets; unknown kinds are skipped so old readers cope with new captures. */
export function annotationText(a: Annotation): string | undefined {
  switch (a.kind) {
    case 'pair': return `[${a.command} #${a.commandSeq}, ${formatLatency(a.latencyUs)}]`;
    case 'finding': return `[${a.finding.level} ${a.finding.code}: ${a.finding.message} (${a.finding.rfc})]`;
    case 'phase':
    case 'unrecognised-phase':
      return `[${a.phase}${a.detail ? ` ${Object.entries(a.detail).map(([k, v]) => detailText(k, v)).join(' ')}` : ''}]`;
    case 'note': return `[${a.text}]`;
    default: return undefined;
  }
}

/** `key=value` of a phase detail; durations (keys ending in `Us`) human sized: `sinceUs=529340` -> `since=529.3ms`. */
function detailText(key: string, value: string | number | boolean): string {
  if (key.endsWith('Us') && typeof value === 'number') return `${key.slice(0, -2)}=${formatLatency(value).replace(' ', '')}`;
  return `${key}=${String(value)}`;
}

/** `12:00:01.234567 #1 C: A002 IDLE [annotations]`: the RFCs' notation after a time and a session id. */
export function frameLine(frame: Frame, options: NotationOptions): string {
  const who = frame.direction === 'client' ? 'C:' : 'S:';
  let notes = '';
  for (const a of frame.annotations) {
    const t = annotationText(a);
    if (t !== undefined) notes = notes === '' ? t : `${notes} ${t}`;
  }
  const text = frameText(frame, options);
  // Annotations quote peers (mailbox names, tags, verbs): escaped like the frame text.
  return `${clockTime(frame.timeUs, options.utc)} #${frame.session} ${who} ${text}${notes !== '' ? `  ${oneLineText(notes)}` : ''}`;
}

/** How a session ended, in words. */
export function endText(end: SessionEnd): string {
  switch (end.by) {
    case 'client-closed': return 'client closed the connection';
    case 'server-closed': return 'server closed the connection';
    case 'proxy-shutdown': return 'proxy shut down';
    case 'error': return `error on the ${end.side} side: ${end.message}`;
    default: {
      const never: never = end;
      return never;
    }
  }
}

/**
 * One line for an event in the headless view and text export, or undefined for events not shown.
 * Escaped for the terminal and kept to one line: TLS lines quote the client's SNI and the server's
 * certificate subject, session ends quote OpenSSL's messages.
 */
export function eventLine(event: ProxyEvent, options: NotationOptions): string | undefined {
  // A frame's line is escaped piece by piece already (frameText, its annotations): not twice.
  if (event.type === 'frame') return frameLine(event.frame, options);
  const line = rawEventLine(event, options);
  return line === undefined ? undefined : oneLineText(line);
}

/** The address behind a server name (SOCKS5), and a session that is not IMAP. */
function sessionExtras(s: SessionInfo): string {
  return `${s.upstreamAddress !== undefined ? ` (${s.upstreamAddress})` : ''}${s.opaque === true ? ' -- opaque, not IMAP: relayed byte for byte, not framed' : ''}`;
}

function rawEventLine(event: ProxyEvent, options: NotationOptions): string | undefined {
  switch (event.type) {
    case 'frame': return frameLine(event.frame, options);
    case 'session-open':
      return `${clockTime(event.session.startUs, options.utc)} #${event.session.id} -- session opened: client ${event.session.client} -> upstream ${event.session.upstream}${sessionExtras(event.session)}`;
    case 'session-close':
      return `${clockTime(event.timeUs, options.utc)} #${event.session} -- session closed (${endText(event.end)}): ${event.bytes.client} bytes from client, ${event.bytes.server} from server, ${event.frames} frames`;
    case 'finding':
      return `${clockTime(event.timeUs, options.utc)} #${event.session} !! ${event.finding.level} ${event.finding.code}: ${event.finding.message} (${event.finding.rfc})`;
    case 'tls': {
      const t = event.tls;
      const peer = t.peerSubject ? `, upstream certificate ${t.peerSubject} issued by ${t.peerIssuer ?? '?'}: ${t.verdict ?? '?'}` : '';
      return `${clockTime(event.timeUs, options.utc)} #${event.session} -- TLS on the ${t.leg} leg: ${t.version} ${t.cipher}${t.sni ? ` SNI ${t.sni}` : ''}${peer}`;
    }
    case 'intervention':
      // What imapdbg changed, apart from what the peers sent (their lines are C: and S:).
      return `${clockTime(event.timeUs, options.utc)} #${event.session} ${interventionText(event.intervention)}`;
    case 'data': return undefined;
    default: {
      const never: never = event;
      return never;
    }
  }
}
