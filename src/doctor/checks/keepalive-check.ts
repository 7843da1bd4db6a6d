import { item } from '../items';
import { serverText, type DoctorItem } from '../report';
import { now, type Closed, type ImapClient, type Incoming } from '../imap-client';
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
  const seen: Incoming[] = [];
  let firstText: string | undefined;
  const stop = client.listen((r) => {
    if (r.kind !== 'untagged') return;
    seen.push(r);
    // Only the count and times are kept, and the first one's (bounded) text.
    if (seen.length > 1000) seen.splice(1, 1);
    firstText ??= r.text;
  });
  const ended = await watch(client, opts, start, () => seen.length);
  stop();
  const heldMs = (ended?.atMs ?? now()) - start;
  const keepalive = keepaliveItem(seen, start, heldMs, firstText);
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

function keepaliveItem(seen: Incoming[], start: number, heldMs: number, firstText: string | undefined): DoctorItem {
  if (seen.length === 0) {
    return item('keepalive', 'warning', `none in ${formatMs(heldMs)} of silent IDLE: a NAT or firewall may drop the idle connection`);
  }
  const times = [start, ...seen.map((r) => r.atMs), start + heldMs];
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const longest = Math.max(...gaps);
  const between = gaps.slice(1, -1).sort((a, b) => a - b);
  const every = between.length > 0 ? `, every ~${formatMs(between[Math.floor(between.length / 2)])}` : '';
  const example = firstText === undefined ? '' : `, e.g. ${serverText(firstText)}`;
  return item('keepalive', 'ok', `${seen.length} untagged in ${formatMs(heldMs)}${every}, longest silence ${formatMs(longest)}${example}`, longest);
}
