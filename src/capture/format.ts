import type { Direction, Finding, Frame } from '../imap/frame';
import type { SessionEnd, SessionInfo, TlsInfo } from '../imap/events';

/**
 * Capture format, version 1: JSON Lines, one record per line, append-only, written as events
 * happen so that a killed process leaves every complete record readable.
 *
 *   {"r":"header","format":"imapdbg-capture","version":1,"createdUs":...,"tool":"imapdbg 0.1.0"}
 *   {"r":"session-open","session":{...SessionInfo}}
 *   {"r":"data","t":us,"s":1,"d":"c","l":"w","b":"<base64>"}     bytes exactly as forwarded
 *   {"r":"frame","text":"A002 IDLE","f":{...Frame}}                text has secrets masked
 *   {"r":"finding","t":us,"s":1,"finding":{...}}
 *   {"r":"tls","t":us,"s":1,"tls":{...}}
 *   {"r":"session-close","t":us,"s":1,"end":{...},"bytes":{...},"frames":n}
 *
 * `data` records carry every byte, so `export --format raw` rebuilds both streams of every session.
 */
export const CAPTURE_FORMAT = 'imapdbg-capture';
export const CAPTURE_VERSION = 1;

export interface HeaderRecord {
  r: 'header';
  format: typeof CAPTURE_FORMAT;
  version: number;
  createdUs: number;
  tool: string;
}

export type CaptureRecord =
  | HeaderRecord
  | { r: 'session-open'; session: SessionInfo }
  | { r: 'data'; t: number; s: number; d: 'c' | 's'; l: 'w' | 'i'; b: string }
  | { r: 'frame'; text: string; f: Frame }
  | { r: 'finding'; t: number; s: number; finding: Finding }
  | { r: 'tls'; t: number; s: number; tls: TlsInfo }
  | { r: 'session-close'; t: number; s: number; end: SessionEnd; bytes: { client: number; server: number }; frames: number };

export function directionCode(d: Direction): 'c' | 's' {
  return d === 'client' ? 'c' : 's';
}

export function directionOf(code: 'c' | 's'): Direction {
  return code === 'c' ? 'client' : 'server';
}
