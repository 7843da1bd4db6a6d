import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import { DurationDigest, type DurationSummary } from './duration-digest';
import type { EventSink, ProxyEvent } from './events';
import type { Direction, Finding, FindingLevel, Frame } from './frame';
import type { ChangeAction, Intervention } from './intervention';
import { changeSourceText } from './intervention-text';
import { isIdlePhase, type IdlePhaseAnnotation } from './idle-tracker';
import { formatLatency } from './notation';
import { RecentCommands } from './recent-commands';

export { summary, type DurationSummary } from './duration-digest';

/**
 * Bounds of the collector, so that a headless proxy that runs for weeks, or a hostile peer, cannot
 * grow it: command names and finding codes per session (the rest are summed under OTHER_NAMES),
 * IDLE periods open at once, and closed sessions itemised (older ones are summed into one line).
 */
export const STATS_LIMITS = {
  commandNames: 100,
  findingCodes: 100,
  openIdlePeriods: 1000,
  itemisedSessions: 1000,
  /** Distinct (source, action) pairs of changes counted per session; more are summed under OTHER_NAMES. */
  changeKinds: 100,
  /** Recent command frames remembered per session, to match a drop that names one by its sequence number. */
  recentCommands: 256,
} as const;

/** The name under which commands (or finding codes) past the per-session limit are summed. */
export const OTHER_NAMES = '(other names)';

/** One command name: how often it was sent and how long the server took to complete it. */
export interface CommandStats {
  command: string;
  /** Commands sent. */
  count: number;
  /** Latency from the command's last byte to its tagged response (answered commands only). */
  latency: DurationSummary;
  /** Sent but never answered by a tagged response (commands imapdbg dropped are not counted here). */
  unanswered: number;
  /** Sent by the client and dropped by imapdbg (a rule, the intercept or a script): the server never saw them. Absent when none. */
  dropped?: number;
}

/** How often one source of changes did one action in a session (rules, intercept, scripts). */
export interface ChangeCount {
  /** `rule 2: drop ~dir s EXISTS`, `intercept`, `script hooks.js:onFrame` (bounded); OTHER_NAMES past the limit. */
  source: string;
  kind: 'rule' | 'intercept' | 'script' | 'other';
  /** The rule's position (from 1), for rules. */
  rule?: number;
  action: ChangeAction | typeof OTHER_NAMES;
  count: number;
  /** Bytes imapdbg delivered of its own (injected) or instead of a frame (replaced, edited), where told. */
  deliveredBytes: number;
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
  /** By count, most frequent first; names past STATS_LIMITS.commandNames are summed under OTHER_NAMES, last. */
  commands: CommandStats[];
  idle: IdleStats;
  findings: Record<FindingLevel, number> & { byCode: Record<string, number> };
  /** What imapdbg changed in the conversation, by source and action (empty when it changed nothing). */
  changes: ChangeCount[];
}

/** Sessions summed rather than itemised (the oldest closed ones, past STATS_LIMITS.itemisedSessions). */
export interface FoldedSessions {
  sessions: number;
  frames: number;
  bytes: Record<Direction, number>;
  commands: number;
  unanswered: number;
  findings: Record<FindingLevel, number>;
  /** Changes imapdbg made in them, all sources and actions together (absent when none). */
  changes?: number;
}

interface CommandAccumulator {
  sent: number;
  dropped: number;
  latency: DurationDigest;
}

interface SessionAccumulator {
  stats: Omit<SessionStats, 'commands' | 'idle' | 'changes'>;
  changes: Map<string, ChangeCount>;
  /** Command name by frame sequence number, the most recent STATS_LIMITS.recentCommands. */
  recentCommands: RecentCommands;
  /** Client frames imapdbg dropped whose frame has not come yet (a change may be told before its frame). */
  droppedEarly: Set<number>;
  commands: Map<string, CommandAccumulator>;
  idleStarts: Map<string, number>;
  idle: { periods: number; ended: number; rejected: number; updates: number; durations: DurationDigest; gaps: DurationDigest };
}

/**
 * Collects per-session statistics from the event stream: an EventSink, so it runs live (the proxy's
 * bus, for the summary at the end of a headless run) and offline (`imapdbg stats` over a capture).
 * It reads only frames and their annotations (pairing latencies, IDLE phases, findings), never
 * sockets. Pure: no I/O.
 */
export class SessionStatsCollector implements EventSink {
  /** Open sessions, counting. */
  private readonly sessions = new Map<number, SessionAccumulator>();
  /** Closed sessions, summarised once at their close (bounded: at most STATS_LIMITS.commandNames names each). */
  private readonly closed: SessionStats[] = [];
  private foldedSessions: FoldedSessions | undefined;

  constructor(private readonly itemisedSessions: number = STATS_LIMITS.itemisedSessions) {}

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
          commands: new Map(), idleStarts: new Map(), changes: new Map(), recentCommands: new RecentCommands(STATS_LIMITS.recentCommands), droppedEarly: new Set(),
          idle: { periods: 0, ended: 0, rejected: 0, updates: 0, durations: new DurationDigest(), gaps: new DurationDigest() },
        });
        return;
      }
      case 'data': {
        const acc = this.sessions.get(event.session);
        if (acc && event.layer !== 'delivered') acc.stats.bytes[event.layer][event.direction] += event.bytes.length;
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
        // Its summary is final: keep that (bounded), release the counters.
        const acc = this.sessions.get(event.session);
        if (!acc) return;
        acc.stats.endUs = event.timeUs;
        this.sessions.delete(event.session);
        this.closed.push(summarise(acc));
        if (this.closed.length > this.itemisedSessions) this.fold(this.closed.shift() as SessionStats);
        return;
      }
      case 'intervention': {
        const acc = this.sessions.get(event.session);
        if (acc) countChange(acc, event.intervention);
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
    return [...this.closed, ...[...this.sessions.values()].map(summarise)].sort((a, b) => a.session - b.session);
  }

  /** The oldest closed sessions, summed, once more than `itemisedSessions` closed; undefined before. */
  folded(): FoldedSessions | undefined {
    return this.foldedSessions && { ...this.foldedSessions };
  }

  private fold(s: SessionStats): void {
    const f = this.foldedSessions ??= { sessions: 0, frames: 0, bytes: { client: 0, server: 0 }, commands: 0, unanswered: 0, findings: { error: 0, warning: 0, info: 0 } };
    for (const c of s.changes) f.changes = (f.changes ?? 0) + c.count;
    f.sessions += 1;
    f.frames += s.frames;
    f.bytes.client += s.bytes.wire.client;
    f.bytes.server += s.bytes.wire.server;
    for (const c of s.commands) {
      f.commands += c.count;
      f.unanswered += c.unanswered;
    }
    f.findings.error += s.findings.error;
    f.findings.warning += s.findings.warning;
    f.findings.info += s.findings.info;
  }

  private frame(frame: Frame): void {
    const acc = this.sessions.get(frame.session);
    if (!acc) return;
    acc.stats.frames += 1;
    acc.stats.endUs = Math.max(acc.stats.endUs ?? 0, frame.endUs);
    if (frame.direction === 'client' && frame.kind === 'command' && frame.verb) {
      const entry = commandEntry(acc, frame.verb);
      entry.sent += 1;
      if (acc.droppedEarly.delete(frame.seq)) entry.dropped += 1;
      acc.recentCommands.add(frame.seq, frame.verb);
    }
    for (const a of frame.annotations) {
      switch (a.kind) {
        case 'pair':
          commandEntry(acc, a.command).latency.add(a.latencyUs);
          break;
        case 'finding':
          countFinding(acc, a.finding);
          break;
        case 'phase':
          if (isIdlePhase(a)) idlePhase(acc, a, frame.timeUs);
          break;
        default:
          break; // notes, and kinds a later version adds
      }
    }
  }
}

/** An IDLE phase the session model's IdleTracker annotated: periods, updates, durations and re-idle gaps as it counted them. */
function idlePhase(acc: SessionAccumulator, a: IdlePhaseAnnotation, timeUs: number): void {
  switch (a.phase) {
    case 'idle-requested': {
      const tag = a.detail.tag;
      acc.idle.periods += 1;
      acc.idleStarts.delete(tag);
      // A client that pipelines IDLEs nobody answers: the oldest open period is forgotten.
      if (acc.idleStarts.size >= STATS_LIMITS.openIdlePeriods) acc.idleStarts.delete(acc.idleStarts.keys().next().value as string);
      acc.idleStarts.set(boundedCopy(tag, STORED_STRING_LIMITS.tag), timeUs);
      if (a.detail.gapUs !== undefined) acc.idle.gaps.add(a.detail.gapUs);
      return;
    }
    case 'idle-update':
      acc.idle.updates += 1;
      return;
    case 'idle-ended':
      acc.idle.ended += 1;
      acc.idleStarts.delete(a.detail.tag);
      acc.idle.durations.add(a.detail.durationUs);
      return;
    case 'idle-rejected':
      acc.idle.rejected += 1;
      acc.idleStarts.delete(a.detail.tag);
      return;
    default:
      return; // accepted, done: nothing to count
  }
}

/**
 * A change counted under its source and action; a client command imapdbg dropped is counted as
 * dropped, not as unanswered (the server never saw it: its silence is not the server's doing).
 */
function countChange(acc: SessionAccumulator, c: Intervention): void {
  if (c.action === 'drop' && c.toward === 'server' && c.frameSeq !== undefined) {
    const verb = acc.recentCommands.get(c.frameSeq);
    if (verb !== undefined) commandEntry(acc, verb).dropped += 1;
    else if (acc.droppedEarly.size < STATS_LIMITS.recentCommands) acc.droppedEarly.add(c.frameSeq);
  }
  const source = changeSourceText(c.source);
  let key = `${source}\n${c.action}`;
  if (!acc.changes.has(key) && acc.changes.size >= STATS_LIMITS.changeKinds) key = OTHER_NAMES;
  let entry = acc.changes.get(key);
  if (!entry) {
    entry = key === OTHER_NAMES
      ? { source: OTHER_NAMES, kind: 'other', action: OTHER_NAMES, count: 0, deliveredBytes: 0 }
      : { source: boundedCopy(source, 2 * STORED_STRING_LIMITS.name), kind: c.source.kind, ...(c.source.kind === 'rule' ? { rule: c.source.index } : {}),
        action: c.action, count: 0, deliveredBytes: 0 };
    acc.changes.set(key, entry);
  }
  entry.count += 1;
  entry.deliveredBytes += c.deliveredBytes ?? 0;
}

function countFinding(acc: SessionAccumulator, f: Finding): void {
  const byCode = acc.stats.findings.byCode;
  // Codes are ours when live; a capture from elsewhere may carry any number of made-up ones.
  if (byCode[f.code] === undefined && Object.keys(byCode).length >= STATS_LIMITS.findingCodes) {
    byCode[OTHER_NAMES] = (byCode[OTHER_NAMES] ?? 0) + 1;
  } else {
    const code = byCode[f.code] === undefined ? boundedCopy(f.code, STORED_STRING_LIMITS.verb) : f.code;
    byCode[code] = (byCode[code] ?? 0) + 1;
  }
  if (f.level === 'error' || f.level === 'warning' || f.level === 'info') acc.stats.findings[f.level] += 1;
}

/** The counters of a command name; past STATS_LIMITS.commandNames distinct names, the shared OTHER_NAMES entry. */
function commandEntry(acc: SessionAccumulator, name: string): CommandAccumulator {
  const known = acc.commands.get(name);
  if (known) return known;
  const key = acc.commands.size >= STATS_LIMITS.commandNames ? OTHER_NAMES : boundedCopy(name, STORED_STRING_LIMITS.verb);
  let entry = acc.commands.get(key);
  if (!entry) {
    entry = { sent: 0, dropped: 0, latency: new DurationDigest() };
    acc.commands.set(key, entry);
  }
  return entry;
}

function summarise(acc: SessionAccumulator): SessionStats {
  const endUs = acc.stats.endUs ?? acc.stats.startUs;
  const commands = [...acc.commands].map(([command, c]): CommandStats => {
    const answered = c.latency.count;
    // A command seen only by its response (the capture began mid-session) counts once.
    const count = Math.max(c.sent, answered);
    return { command, count, latency: c.latency.summary(), unanswered: Math.max(0, c.sent - answered - c.dropped),
      ...(c.dropped > 0 ? { dropped: c.dropped } : {}) };
  }).sort((a, b) => Number(a.command === OTHER_NAMES) - Number(b.command === OTHER_NAMES)
    || b.count - a.count || a.command.localeCompare(b.command));
  // Open periods count up to the session's end; added to a copy-free digest only at summary time.
  const durations = acc.idle.durations.withExtra([...acc.idleStarts.values()].map((start) => Math.max(0, endUs - start)));
  const idle: IdleStats = {
    periods: acc.idle.periods, ended: acc.idle.ended, rejected: acc.idle.rejected, open: acc.idleStarts.size,
    durations, updates: acc.idle.updates, reIdleGaps: acc.idle.gaps.summary(),
  };
  const changes = [...acc.changes.values()].map((c) => ({ ...c }))
    .sort((a, b) => Number(a.kind === 'other') - Number(b.kind === 'other') || (a.rule ?? Infinity) - (b.rule ?? Infinity)
      || a.source.localeCompare(b.source) || String(a.action).localeCompare(String(b.action)));
  return { ...acc.stats, findings: { ...acc.stats.findings, byCode: { ...acc.stats.findings.byCode } }, commands, idle, changes };
}

/** The summaries as text, a block per session, for `imapdbg stats` and the end of a headless run. */
export function statsText(all: readonly SessionStats[], folded?: FoldedSessions): string {
  if (all.length === 0 && !folded) return 'no sessions\n';
  const head = folded ? [foldedText(folded)] : [];
  return [...head, ...all.map(sessionText)].join('\n');
}

function foldedText(f: FoldedSessions): string {
  return `${f.sessions} earlier session${f.sessions === 1 ? '' : 's'}, summed (only the last ${STATS_LIMITS.itemisedSessions} closed are itemised): `
    + `${f.frames} frames, bytes client ${f.bytes.client}, server ${f.bytes.server}, ${f.commands} commands (${f.unanswered} unanswered), `
    + `findings ${f.findings.error} errors, ${f.findings.warning} warnings, ${f.findings.info} info${f.changes ? `, ${f.changes} changes by imapdbg` : ''}\n`;
}

/** A duration for the table; `~` marks a value from the histogram (a session with many answers of one name). */
function duration(us: number, approximate: boolean | undefined): string {
  return `${approximate ? '~' : ''}${formatLatency(us)}`;
}

function sessionText(s: SessionStats): string {
  const lines: string[] = [];
  const span = s.endUs !== undefined ? `, ${formatLatency(Math.max(0, s.endUs - s.startUs))}` : '';
  lines.push(`session #${s.session}: client ${s.client} -> upstream ${s.upstream}${span}, ${s.frames} frames`);
  const inflated = s.bytes.inflated.client + s.bytes.inflated.server > 0
    ? ` (inflated: client ${s.bytes.inflated.client}, server ${s.bytes.inflated.server})` : '';
  lines.push(`  bytes     client ${s.bytes.wire.client}, server ${s.bytes.wire.server}${inflated}`);
  if (s.commands.length > 0) {
    // A loop, not Math.max(...names): a spread of 130k names overflowed the call stack.
    let width = 7;
    for (const c of s.commands) width = Math.max(width, c.command.length);
    lines.push(`  commands  ${'command'.padEnd(width)}  count     median        p95        max`);
    for (const c of s.commands) {
      const l = c.latency;
      const cols = l.count > 0 ? [duration(l.medianUs, l.approximate), duration(l.p95Us, l.approximate), formatLatency(l.maxUs)].map((v) => v.padStart(10)).join(' ') : '         -          -          -';
      const notes = [c.unanswered ? `${c.unanswered} unanswered` : '', c.dropped ? `${c.dropped} dropped by imapdbg` : ''].filter((n) => n !== '');
      lines.push(`            ${c.command.padEnd(width)}  ${String(c.count).padStart(5)} ${cols}${notes.length ? `  (${notes.join(', ')})` : ''}`);
    }
  } else {
    lines.push('  commands  none');
  }
  const i = s.idle;
  if (i.periods === 0) lines.push('  IDLE      none');
  else {
    lines.push(`  IDLE      ${i.periods} period${i.periods === 1 ? '' : 's'} (${i.ended} ended, ${i.rejected} rejected, ${i.open} open), ${i.updates} update${i.updates === 1 ? '' : 's'}`);
    const d = i.durations;
    const g = i.reIdleGaps;
    if (d.count > 0) lines.push(`            duration median ${duration(d.medianUs, d.approximate)}, p95 ${duration(d.p95Us, d.approximate)}, max ${formatLatency(d.maxUs)}`);
    if (g.count > 0) lines.push(`            re-idle gap median ${duration(g.medianUs, g.approximate)}, p95 ${duration(g.p95Us, g.approximate)}, max ${formatLatency(g.maxUs)}`);
  }
  const f = s.findings;
  const codes = Object.entries(f.byCode).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, n]) => `${c} ${n}`);
  lines.push(`  findings  ${f.error} error${f.error === 1 ? '' : 's'}, ${f.warning} warning${f.warning === 1 ? '' : 's'}, ${f.info} info${codes.length ? `: ${codes.join(', ')}` : ''}`);
  lines.push(...changeLines(s.changes));
  return `${lines.join('\n')}\n`;
}

/** `changes   rule 2: drop ~dir s EXISTS: drop 3`, a line per source; nothing when imapdbg changed nothing. */
function changeLines(changes: readonly ChangeCount[]): string[] {
  const bySource = new Map<string, string[]>();
  for (const c of changes) {
    const bytes = c.deliveredBytes > 0 ? ` (${c.deliveredBytes} bytes)` : '';
    bySource.set(c.source, [...(bySource.get(c.source) ?? []), `${c.action} ${c.count}${bytes}`]);
  }
  return [...bySource].map(([source, actions], i) => `  ${i === 0 ? 'changes ' : '        '}  ${source}: ${actions.join(', ')}`);
}
