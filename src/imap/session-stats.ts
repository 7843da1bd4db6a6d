import type { EventSink, ProxyEvent } from './events';
import type { Direction, Finding, FindingLevel, Frame } from './frame';
import { formatLatency } from './notation';

/** Distribution of a set of durations, nearest-rank percentiles, in µs. */
export interface DurationSummary {
  count: number;
  medianUs: number;
  p95Us: number;
  maxUs: number;
}

/** One command name: how often it was sent and how long the server took to complete it. */
export interface CommandStats {
  command: string;
  /** Commands sent. */
  count: number;
  /** Latency from the command's last byte to its tagged response (answered commands only). */
  latency: DurationSummary;
  /** Sent but never answered by a tagged response. */
  unanswered: number;
}

/** The IDLE periods of a session (RFC 2177). */
export interface IdleStats {
  /** IDLE commands sent. */
  periods: number;
  ended: number;
  rejected: number;
  /** Still open when the session ended; their duration counts up to the session's end. */
  open: number;
  /** From IDLE to its tagged response (to the session end for open periods). */
  durations: DurationSummary;
  /** Untagged responses during IDLE, all periods together. */
  updates: number;
  /** From one IDLE's tagged response to the next IDLE command: how fast the client re-idles. */
  reIdleGaps: DurationSummary;
}

/** The summary of one session. */
export interface SessionStats {
  session: number;
  client: string;
  upstream: string;
  startUs: number;
  endUs?: number;
  frames: number;
  /** Bytes as carried (`wire`) and, under COMPRESS=DEFLATE, after inflating (`inflated`). */
  bytes: { wire: Record<Direction, number>; inflated: Record<Direction, number> };
  /** By count, most frequent first. */
  commands: CommandStats[];
  idle: IdleStats;
  findings: Record<FindingLevel, number> & { byCode: Record<string, number> };
}

interface SessionAccumulator {
  stats: Omit<SessionStats, 'commands' | 'idle'>;
  sent: Map<string, number>;
  latencies: Map<string, number[]>;
  idleStarts: Map<string, number>;
  idle: { periods: number; ended: number; rejected: number; updates: number; durations: number[]; gaps: number[] };
}

/**
 * Collects per-session statistics from the event stream: an EventSink, so it runs live (the proxy's
 * bus, for the summary at the end of a headless run) and offline (`imapdbg stats` over a capture).
 * It reads only frames and their annotations (pairing latencies, IDLE phases, findings), never
 * sockets. Pure: no I/O.
 */
export class SessionStatsCollector implements EventSink {
  private readonly sessions = new Map<number, SessionAccumulator>();

  handle(event: ProxyEvent): void {
    switch (event.type) {
      case 'session-open': {
        const s = event.session;
        this.sessions.set(s.id, {
          stats: {
            session: s.id, client: s.client, upstream: s.upstream, startUs: s.startUs, frames: 0,
            bytes: { wire: { client: 0, server: 0 }, inflated: { client: 0, server: 0 } },
            findings: { error: 0, warning: 0, info: 0, byCode: {} },
          },
          sent: new Map(), latencies: new Map(), idleStarts: new Map(),
          idle: { periods: 0, ended: 0, rejected: 0, updates: 0, durations: [], gaps: [] },
        });
        return;
      }
      case 'data': {
        const acc = this.sessions.get(event.session);
        if (acc) acc.stats.bytes[event.layer][event.direction] += event.bytes.length;
        return;
      }
      case 'frame':
        this.frame(event.frame);
        return;
      case 'finding': {
        const acc = this.sessions.get(event.session);
        if (acc) countFinding(acc, event.finding);
        return;
      }
      case 'session-close': {
        const acc = this.sessions.get(event.session);
        if (acc) acc.stats.endUs = event.timeUs;
        return;
      }
      case 'tls':
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  /** The summaries so far, by session id. Open sessions count up to their last frame. */
  summaries(): SessionStats[] {
    return [...this.sessions.values()].sort((a, b) => a.stats.session - b.stats.session).map(summarise);
  }

  private frame(frame: Frame): void {
    const acc = this.sessions.get(frame.session);
    if (!acc) return;
    acc.stats.frames += 1;
    acc.stats.endUs = Math.max(acc.stats.endUs ?? 0, frame.endUs);
    if (frame.direction === 'client' && frame.kind === 'command' && frame.verb) {
      acc.sent.set(frame.verb, (acc.sent.get(frame.verb) ?? 0) + 1);
    }
    for (const a of frame.annotations) {
      switch (a.kind) {
        case 'pair':
          push(acc.latencies, a.command, a.latencyUs);
          break;
        case 'finding':
          countFinding(acc, a.finding);
          break;
        case 'phase':
          idlePhase(acc, a.phase, a.detail ?? {}, frame.timeUs);
          break;
        default:
          break; // notes, and kinds a later version adds
      }
    }
  }
}

function idlePhase(acc: SessionAccumulator, phase: string, detail: Record<string, string | number | boolean>, timeUs: number): void {
  const tag = String(detail.tag ?? '');
  const num = (key: string): number | undefined => (typeof detail[key] === 'number' ? detail[key] as number : undefined);
  if (phase === 'idle-requested') {
    acc.idle.periods += 1;
    acc.idleStarts.set(tag, timeUs);
    const gap = num('gapUs');
    if (gap !== undefined) acc.idle.gaps.push(gap);
  } else if (phase === 'idle-update') {
    acc.idle.updates += 1;
  } else if (phase === 'idle-ended') {
    acc.idle.ended += 1;
    acc.idleStarts.delete(tag);
    acc.idle.durations.push(num('durationUs') ?? 0);
  } else if (phase === 'idle-rejected') {
    acc.idle.rejected += 1;
    acc.idleStarts.delete(tag);
  }
}

function countFinding(acc: SessionAccumulator, f: Finding): void {
  acc.stats.findings[f.level] += 1;
  acc.stats.findings.byCode[f.code] = (acc.stats.findings.byCode[f.code] ?? 0) + 1;
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function summarise(acc: SessionAccumulator): SessionStats {
  const endUs = acc.stats.endUs ?? acc.stats.startUs;
  const names = new Set([...acc.sent.keys(), ...acc.latencies.keys()]);
  const commands = [...names].map((command): CommandStats => {
    const lat = acc.latencies.get(command) ?? [];
    const count = acc.sent.get(command) ?? lat.length;
    return { command, count, latency: summary(lat), unanswered: Math.max(0, count - lat.length) };
  }).sort((a, b) => b.count - a.count || a.command.localeCompare(b.command));
  const openDurations = [...acc.idleStarts.values()].map((start) => Math.max(0, endUs - start));
  const idle: IdleStats = {
    periods: acc.idle.periods, ended: acc.idle.ended, rejected: acc.idle.rejected, open: openDurations.length,
    durations: summary([...acc.idle.durations, ...openDurations]), updates: acc.idle.updates, reIdleGaps: summary(acc.idle.gaps),
  };
  return { ...acc.stats, findings: { ...acc.stats.findings, byCode: { ...acc.stats.findings.byCode } }, commands, idle };
}

/** Count, nearest-rank median and 95th percentile, and maximum of a list of durations. */
export function summary(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, medianUs: 0, p95Us: 0, maxUs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { count: sorted.length, medianUs: rank(0.5), p95Us: rank(0.95), maxUs: sorted[sorted.length - 1] };
}

/** The summaries as text, a block per session, for `imapdbg stats` and the end of a headless run. */
export function statsText(all: readonly SessionStats[]): string {
  if (all.length === 0) return 'no sessions\n';
  return all.map(sessionText).join('\n');
}

function sessionText(s: SessionStats): string {
  const lines: string[] = [];
  const span = s.endUs !== undefined ? `, ${formatLatency(Math.max(0, s.endUs - s.startUs))}` : '';
  lines.push(`session #${s.session}: client ${s.client} -> upstream ${s.upstream}${span}, ${s.frames} frames`);
  const inflated = s.bytes.inflated.client + s.bytes.inflated.server > 0
    ? ` (inflated: client ${s.bytes.inflated.client}, server ${s.bytes.inflated.server})` : '';
  lines.push(`  bytes     client ${s.bytes.wire.client}, server ${s.bytes.wire.server}${inflated}`);
  if (s.commands.length > 0) {
    const width = Math.max(7, ...s.commands.map((c) => c.command.length));
    lines.push(`  commands  ${'command'.padEnd(width)}  count     median        p95        max`);
    for (const c of s.commands) {
      const l = c.latency;
      const cols = l.count > 0 ? [l.medianUs, l.p95Us, l.maxUs].map((v) => formatLatency(v).padStart(10)).join(' ') : '         -          -          -';
      lines.push(`            ${c.command.padEnd(width)}  ${String(c.count).padStart(5)} ${cols}${c.unanswered ? `  (${c.unanswered} unanswered)` : ''}`);
    }
  } else {
    lines.push('  commands  none');
  }
  const i = s.idle;
  if (i.periods === 0) lines.push('  IDLE      none');
  else {
    lines.push(`  IDLE      ${i.periods} period${i.periods === 1 ? '' : 's'} (${i.ended} ended, ${i.rejected} rejected, ${i.open} open), ${i.updates} update${i.updates === 1 ? '' : 's'}`);
    if (i.durations.count > 0) lines.push(`            duration median ${formatLatency(i.durations.medianUs)}, p95 ${formatLatency(i.durations.p95Us)}, max ${formatLatency(i.durations.maxUs)}`);
    if (i.reIdleGaps.count > 0) lines.push(`            re-idle gap median ${formatLatency(i.reIdleGaps.medianUs)}, p95 ${formatLatency(i.reIdleGaps.p95Us)}, max ${formatLatency(i.reIdleGaps.maxUs)}`);
  }
  const f = s.findings;
  const codes = Object.entries(f.byCode).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, n]) => `${c} ${n}`);
  lines.push(`  findings  ${f.error} error${f.error === 1 ? '' : 's'}, ${f.warning} warning${f.warning === 1 ? '' : 's'}, ${f.info} info${codes.length ? `: ${codes.join(', ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}
