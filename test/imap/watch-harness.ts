import { Reframer } from '../../src/capture/reframer';
import type { ProxyEvent, SessionEnd } from '../../src/imap/events';
import { DEFAULT_IDLE_THRESHOLDS, type IdleThresholds } from '../../src/imap/idle-thresholds';
import { IDLE_WATCH_CODES, IdleWatch } from '../../src/imap/idle-watch';
import { rechunk, sameAtEverySplit, type TranscriptStep } from './transcript';


type Item =
  | { type: 'bytes'; step: number; session: number; timeUs: number }
  | { type: 'close'; session: number; timeUs: number; end: SessionEnd }
  | { type: 'tick'; timeUs: number };

/**
 * A dialog of several sessions through one proxy, one event a line, times in ms:
 * `100 #2 C: a1 APPEND INBOX {3+}`, `150 #1 S: * 5 EXISTS`, `900 #1 close server-closed`
 * (or client-closed, proxy-shutdown, reset-client, reset-server), `60000 tick` (the live timer).
 * Each session opens at its first line, forwarded to the same upstream.
 */
export interface WatchDialog {
  steps: TranscriptStep[];
  items: Item[];
}

export function watchDialog(text: string): WatchDialog {
  const d: WatchDialog = { steps: [], items: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const tick = /^([0-9.]+) tick$/.exec(line);
    if (tick) {
      d.items.push({ type: 'tick', timeUs: Number(tick[1]) * 1000 });
      continue;
    }
    const m = /^([0-9.]+) #([0-9]+) (?:([CS]): (.*)|close (\S+))$/.exec(line);
    if (!m) throw new Error(`bad dialog line: ${raw}`);
    const timeUs = Number(m[1]) * 1000;
    const session = Number(m[2]);
    if (m[5] !== undefined) {
      const end: SessionEnd = m[5] === 'reset-client' ? { by: 'error', side: 'client', message: 'read ECONNRESET' }
        : m[5] === 'reset-server' ? { by: 'error', side: 'server', message: 'read ECONNRESET' }
        : { by: m[5] as 'client-closed' | 'server-closed' | 'proxy-shutdown' };
      d.items.push({ type: 'close', session, timeUs, end });
      continue;
    }
    d.items.push({ type: 'bytes', step: d.steps.length, session, timeUs });
    d.steps.push({ direction: m[3] === 'C' ? 'client' : 'server', bytes: Buffer.from(`${m[4]}\r\n`, 'latin1') });
  }
  return d;
}

/** What the watch made of a dialog: findings `code #session @ms level: message`, and `heard` lines for push-heard annotations. */
export function runWatch(d: WatchDialog, chunked: TranscriptStep[][], limits: IdleThresholds = DEFAULT_IDLE_THRESHOLDS): string[] {
  const out: string[] = [];
  const sink = {
    handle(e: ProxyEvent): void {
      if (e.type === 'finding' && IDLE_WATCH_CODES.has(e.finding.code)) {
        out.push(`${e.finding.code} #${e.session} @${e.timeUs / 1000} ${e.finding.level}: ${e.finding.message}`);
      }
      if (e.type !== 'frame') return;
      for (const a of e.frame.annotations) {
        if (a.kind !== 'phase' || a.phase !== 'push-heard' || !a.detail) continue;
        const x = a.detail;
        out.push(`heard #${e.frame.session} frame ${e.frame.seq}: from #${x.fromSession} frame ${x.fromSeq} ${x.command} ${x.mailbox} ${Number(x.latencyUs) / 1000}ms${x.beforeOk ? ' before OK' : ''}`);
      }
    },
  };
  const watch = new IdleWatch(sink, limits);
  const reframer = new Reframer(watch);
  const open = new Set<number>();
  const ensureOpen = (session: number, timeUs: number): void => {
    if (open.has(session)) return;
    open.add(session);
    reframer.handle({ type: 'session-open', session: { id: session, startUs: timeUs, client: `127.0.0.1:${5000 + session}`, upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  };
  for (const item of d.items) {
    if (item.type === 'tick') {
      watch.tick(item.timeUs);
    } else if (item.type === 'close') {
      ensureOpen(item.session, item.timeUs);
      reframer.handle({ type: 'session-close', session: item.session, timeUs: item.timeUs, end: item.end, bytes: { client: 0, server: 0 }, frames: 0 });
    } else {
      ensureOpen(item.session, item.timeUs);
      for (const c of chunked[item.step]) {
        reframer.handle({ type: 'data', session: item.session, direction: c.direction, timeUs: item.timeUs, bytes: c.bytes, layer: 'wire' });
      }
    }
  }
  return out;
}

/** runWatch on the dialog whole, after checking it gives the same output split at every offset of every line. */
export function watchEverySplit(text: string, limits?: IdleThresholds): string[] {
  const d = watchDialog(text);
  sameAtEverySplit(d.steps, (chunked) => JSON.stringify(runWatch(d, chunked, limits)), 'watch output', 5);
  return runWatch(d, rechunk(d.steps, () => []), limits);
}

/** Findings without their message: `push-unheard #2 @14 info`; heard lines as they are. */
export function brief(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(/ (warning|info|error): .*$/, ' $1'));
}
