import type { Direction, Finding, Frame } from '../imap/frame';
import type { DataLayer, SessionEnd, SessionInfo, TlsInfo } from '../imap/events';
import type { Intervention } from '../imap/intervention';

/**
 * Capture format, version 2: JSON Lines, one record per line, append-only, written as events
 * happen so that a killed process leaves every complete record readable.
 *
 *   {"r":"header","format":"imapdbg-capture","version":1,"createdUs":...,"tool":"imapdbg 0.1.0"}
 *   {"r":"session-open","session":{...SessionInfo}}
 *   {"r":"data","t":us,"s":1,"d":"c","l":"w","b":"<base64>"}     bytes exactly as the peer sent them
 *   {"r":"change","t":us,"s":1,"c":{...Intervention}}            what imapdbg changed, and who asked (v2)
 *   {"r":"frame","text":"A002 IDLE","f":{...Frame}}                text has secrets masked
 *   {"r":"finding","t":us,"s":1,"finding":{...}}
 *   {"r":"tls","t":us,"s":1,"tls":{...}}
 *   {"r":"session-close","t":us,"s":1,"end":{...},"bytes":{...},"frames":n}
 *
 * `data` records carry every byte, so `export --format raw` rebuilds both streams of every session.
 * `l` is the layer: `w` wire, `i` the inflated copy after COMPRESS, `d` (v2) what imapdbg delivered to
 * the other peer in a session whose conversation it changed (rules, intercept, scripts).
 * Version 2 added `change` records and the `d` layer; a version 1 file reads unchanged.
 */
export const CAPTURE_FORMAT = 'imapdbg-capture';
export const CAPTURE_VERSION = 2;

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
  | { r: 'data'; t: number; s: number; d: 'c' | 's'; l: 'w' | 'i' | 'd'; b: string }
  | { r: 'change'; t: number; s: number; c: Intervention }
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

/** The one-letter code of a data layer in a capture. */
export function layerCode(layer: DataLayer): 'w' | 'i' | 'd' {
  return layer === 'wire' ? 'w' : layer === 'inflated' ? 'i' : 'd';
}

/** The data layer of a one-letter code; anything else is the wire (version 1 wrote only `w` and `i`). */
export function layerOf(code: unknown): DataLayer {
  return code === 'i' ? 'inflated' : code === 'd' ? 'delivered' : 'wire';
}
