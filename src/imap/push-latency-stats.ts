import { DurationDigest, type DurationSummary } from './duration-digest';
import type { EventSink, ProxyEvent } from './events';
import { formatLatency } from './notation';
import { oneLineText } from './terminal-text';

/** Mailboxes with push latencies kept; past it new ones are counted in `other`. */
export const MAX_PUSH_MAILBOXES = 1000;

/** Push latency into one mailbox: from a change's OK in one session to the update in another idling one. */
export interface PushLatencyStats {
  mailbox: string;
  latency: DurationSummary;
  /** Updates that came before the changing command's OK (not in `latency`). */
  beforeOk: number;
  /** `push-unheard` findings (nobody idling on the mailbox heard). */
  unheard: number;
}

/** Collects the `push-heard` annotations and `push-unheard` findings per mailbox, for `stats`. */
export class PushLatencyCollector implements EventSink {
  private readonly byMailbox = new Map<string, { digest: DurationDigest; beforeOk: number; unheard: number }>();

  handle(event: ProxyEvent): void {
    if (event.type === 'finding' && event.finding.code === 'push-unheard') {
      const m = / into (.*) answered OK/.exec(event.finding.message);
      const e = m ? this.entry(m[1]) : undefined;
      if (e) e.unheard += 1;
      return;
    }
    if (event.type !== 'frame') return;
    for (const a of event.frame.annotations) {
      if (a.kind !== 'phase' || a.phase !== 'push-heard') continue;
      const e = this.entry(a.detail.mailbox);
      if (!e) continue;
      if (a.detail.beforeOk) e.beforeOk += 1;
      else e.digest.add(a.detail.latencyUs);
    }
  }

  summaries(): PushLatencyStats[] {
    return [...this.byMailbox].map(([mailbox, e]) => ({ mailbox, latency: e.digest.summary(), beforeOk: e.beforeOk, unheard: e.unheard }));
  }

  private entry(mailbox: string): { digest: DurationDigest; beforeOk: number; unheard: number } | undefined {
    let e = this.byMailbox.get(mailbox);
    if (!e && this.byMailbox.size < MAX_PUSH_MAILBOXES) this.byMailbox.set(mailbox, e = { digest: new DurationDigest(), beforeOk: 0, unheard: 0 });
    return e;
  }
}

/** `push latency INBOX: 3 heard, median 41.0 ms, p95 52.3 ms, max 52.3 ms` per mailbox; empty when none. */
export function pushLatencyText(all: readonly PushLatencyStats[]): string {
  return all.map((p) => {
    const l = p.latency;
    const heard = l.count > 0 ? `median ${formatLatency(l.medianUs)}, p95 ${formatLatency(l.p95Us)}, max ${formatLatency(l.maxUs)}` : 'no latency';
    const extra = [p.beforeOk > 0 ? `${p.beforeOk} before the OK` : '', p.unheard > 0 ? `${p.unheard} unheard` : ''].filter(Boolean).join(', ');
    return `push latency ${oneLineText(p.mailbox)}: ${l.count} heard, ${heard}${extra ? `, ${extra}` : ''}\n`;
  }).join('');
}
