import { item } from '../items';
import { serverText, type DoctorItem } from '../report';
import { now, type Closed, type ImapClient } from '../imap-client';
import type { DoctorOptions } from '../doctor-options';
import { formatMs } from '../duration';
import { closedText, endIdle, startIdle } from '../idle-session';

/** RFC 2177 3: clients re-issue IDLE at least every 29 minutes, so a server must keep one that long. */
const IDLE_MINUTES_ALLOWED = 29;

/**
 * A silent IDLE watched for `watchMs`: the untagged responses the server sends on its own
 * (keepalives such as `* OK Still here`, RFC 2177 3) and their spacing, and whether the server
 * ends the IDLE before 29 minutes, with BYE or without.
 */
export async function keepaliveCheck(client: ImapClient, opts: DoctorOptions): Promise<DoctorItem[]> {
  const idling = await startIdle(client, opts.endpoint.timeoutMs);
  if (!('tag' in idling)) {
    return [item('keepalive', 'not run', `IDLE: ${idling.reason}`), item('idle-timeout', idling.closed ? 'problem' : 'not run', `IDLE: ${idling.reason}`)];
  }
  const start = now();
  const seen: Silences = { count: 0, lastAt: start, gaps: [], longest: 0 };
  const stop = client.listen((r) => {
    if (r.kind !== 'untagged') return;
    // Only the count and spacing are kept, and the first one's (bounded) text.
    seen.count += 1;
    seen.firstText ??= r.text;
    const gap = r.atMs - seen.lastAt;
    if (seen.count > 1 && seen.gaps.length < MAX_GAPS) seen.gaps.push(gap);
    seen.longest = Math.max(seen.longest, gap);
    seen.lastAt = r.atMs;
  });
  const ended = await watch(client, opts, start, () => seen.count);
  stop();
  const heldMs = (ended?.atMs ?? now()) - start;
  const keepalive = keepaliveItem(seen, start + heldMs, heldMs);
  if (ended) {
    const early = heldMs < IDLE_MINUTES_ALLOWED * 60_000;
    return [keepalive, item('idle-timeout', early ? 'problem' : 'ok', `IDLE ended after ${formatMs(heldMs)}: ${closedText(ended)}`, heldMs)];
  }
  const done = await endIdle(client, idling, opts.endpoint.timeoutMs);
  const after = 'failure' in done ? `; then DONE: ${done.failure}` : '';
  const long = opts.watchMs >= IDLE_MINUTES_ALLOWED * 60_000;
  const value = long ? `kept for ${formatMs(heldMs)}${after}` : `kept for ${formatMs(heldMs)} (--watch 31m tests the ${IDLE_MINUTES_ALLOWED} minutes)${after}`;
  return [keepalive, item('idle-timeout', 'failure' in done ? 'problem' : 'ok', value, heldMs)];
}

/** Waits out the watch, telling the time left at most once per second; returns how it closed, if it did. */
async function watch(client: ImapClient, opts: DoctorOptions, start: number, count: () => number): Promise<Closed | undefined> {
  const end = start + opts.watchMs;
  while (now() < end) {
    const left = end - now();
    opts.progress(`watching a silent IDLE: ${formatMs(left)} left, ${count()} untagged response${count() === 1 ? '' : 's'} so far`);
    const got = await client.wait(() => false, Math.min(1000, left));
    if ('closed' in got) return got.closed;
  }
  return undefined;
}

/** What the watch kept of the untagged responses: bounded whatever the server sends. */
interface Silences {
  count: number;
  lastAt: number;
  /** Times between consecutive untagged responses (the first MAX_GAPS). */
  gaps: number[];
  /** Longest silence, from the IDLE's start on. */
  longest: number;
  firstText?: string;
}

const MAX_GAPS = 10_000;

function keepaliveItem(seen: Silences, endAt: number, heldMs: number): DoctorItem {
  if (seen.count === 0) {
    return item('keepalive', 'warning', `none in ${formatMs(heldMs)} of silent IDLE: a NAT or firewall may drop the idle connection`);
  }
  const longest = Math.max(seen.longest, endAt - seen.lastAt);
  const between = [...seen.gaps].sort((a, b) => a - b);
  const every = between.length > 0 ? `, every ~${formatMs(between[Math.floor(between.length / 2)])}` : '';
  const example = seen.firstText === undefined ? '' : `, e.g. ${serverText(seen.firstText)}`;
  return item('keepalive', 'ok', `${seen.count} untagged in ${formatMs(heldMs)}${every}, longest silence ${formatMs(longest)}${example}`, longest);
}
