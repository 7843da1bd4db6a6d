import { item } from '../items';
import { serverText, type DoctorItem } from '../report';
import { append, EXPUNGE, SEARCH_DELETED, searchMessageId, select, uidExpunge, uidStoreDeleted } from '../commands';
import type { ImapClient } from '../imap-client';
import { openLoggedIn, type DoctorOptions } from '../doctor-options';
import { formatMs } from '../duration';
import { closedText, endIdle, startIdle } from '../idle-session';
import { appendUids, existsCount, searchUids } from '../response-facts';
import { testMessage } from '../test-message';

interface Appended {
  messageId: string;
  uids?: number[];
}

/**
 * Push latency (only with --append): `main` idles in the target mailbox while a second connection
 * APPENDs a small message; the time from the APPEND's tagged OK to `* N EXISTS` in the IDLE, median
 * of the tries. The messages are then deleted by UID (APPENDUID, or SEARCH HEADER Message-ID), so
 * nothing else in the mailbox is touched.
 */
export async function pushLatencyCheck(main: ImapClient, opts: DoctorOptions, capabilities: Set<string>): Promise<DoctorItem> {
  if (!opts.append) return item('push-latency', 'skipped', 'skipped (needs --append: appends one small message per try and deletes it)');
  const mailbox = opts.appendMailbox ?? opts.mailbox;
  const timeout = opts.endpoint.timeoutMs;
  if (mailbox !== opts.mailbox) {
    const s = await main.command(select(mailbox));
    if (s.status !== 'OK') return item('push-latency', 'problem', `SELECT ${serverText(mailbox)}: ${s.status} ${serverText(s.text)}`);
  }
  const pusher = await openLoggedIn(opts);
  if (typeof pusher === 'string') return item('push-latency', 'problem', pusher);
  const appended: Appended[] = [];
  const latencies: number[] = [];
  let failure: string | undefined;
  try {
    const idling = await startIdle(main, timeout);
    if (!('tag' in idling)) return item('push-latency', 'problem', `IDLE: ${idling.reason}`);
    for (let i = 1; i <= opts.tries && failure === undefined; i++) {
      opts.progress(`push latency: APPEND ${i} of ${opts.tries} to ${mailbox}, waiting for EXISTS in the IDLE`);
      const message = testMessage();
      // Listening from before the APPEND: a server may push EXISTS before the APPEND's OK.
      const giveUp = new AbortController();
      const exists = main.wait((r) => existsCount(r.text) !== undefined, timeout + opts.pushTimeoutMs, giveUp.signal);
      const r = await pusher.command(append(mailbox, message.bytes.length), message.bytes);
      if (r.status !== 'OK') {
        giveUp.abort();
        failure = `APPEND ${r.status}: ${serverText(r.text)}`;
        break;
      }
      appended.push({ messageId: message.messageId, uids: appendUids(r.text) });
      const okAt = r.atMs;
      const timer = setTimeout(() => giveUp.abort(), opts.pushTimeoutMs);
      const got = await exists;
      clearTimeout(timer);
      if ('timeout' in got) failure = `no EXISTS within ${formatMs(opts.pushTimeoutMs)} of the APPEND's OK (try ${i}): the server does not push new mail to an idling client`;
      else if ('closed' in got) failure = `while waiting for EXISTS: ${closedText(got.closed)}`;
      else latencies.push(Math.max(0, got.response.atMs - okAt));
    }
    if (!main.closed) await endIdle(main, idling, timeout);
  } finally {
    const cleanup = await deleteAppended(pusher, mailbox, appended, capabilities);
    await pusher.logout();
    failure = failure === undefined ? undefined : `${failure}${cleanup ? `; ${cleanup}` : ''}`;
    if (failure === undefined && cleanup) failure = cleanup;
  }
  if (mailbox !== opts.mailbox && !main.closed) await main.command(select(opts.mailbox));
  if (latencies.length < opts.tries) return item('push-latency', 'problem', failure ?? 'not measured');
  const sorted = [...latencies].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const cleaned = failure === undefined ? 'test messages deleted' : failure;
  return item('push-latency', failure === undefined ? 'ok' : 'warning',
    `median ${formatMs(median)} of ${latencies.length} (${latencies.map(formatMs).join(', ')}); ${cleaned}`, median);
}

/** Deletes only doctor's own messages. Returns a sentence when something was left behind. */
async function deleteAppended(pusher: ImapClient, mailbox: string, appended: Appended[], capabilities: Set<string>): Promise<string | undefined> {
  if (appended.length === 0) return undefined;
  if (pusher.closed) return 'could not delete the test message(s): connection closed';
  const s = await pusher.command(select(mailbox));
  if (s.status !== 'OK') return `could not delete the test message(s): SELECT ${s.status}`;
  const uids: number[] = [];
  for (const a of appended) {
    if (a.uids) { uids.push(...a.uids); continue; }
    const found = await pusher.command(searchMessageId(a.messageId));
    uids.push(...searchUids(found.untagged));
  }
  if (uids.length === 0) return 'could not find the test message(s) again to delete them';
  const store = await pusher.command(uidStoreDeleted(uids));
  if (store.status !== 'OK') return `could not flag the test message(s) \\Deleted: ${store.status} ${serverText(store.text)}`;
  if (capabilities.has('UIDPLUS')) {
    const x = await pusher.command(uidExpunge(uids));
    return x.status === 'OK' ? undefined : `UID EXPUNGE ${x.status}: test message(s) left flagged \\Deleted`;
  }
  // Without UIDPLUS, EXPUNGE removes every \Deleted message: only when doctor's are the only ones.
  const deleted = await pusher.command(SEARCH_DELETED);
  const others = searchUids(deleted.untagged).filter((u) => !uids.includes(u));
  if (others.length > 0) return `no UIDPLUS and other messages are flagged \\Deleted: test message(s) left flagged \\Deleted, not expunged`;
  const x = await pusher.command(EXPUNGE);
  return x.status === 'OK' ? undefined : `EXPUNGE ${x.status}: test message(s) left flagged \\Deleted`;
}
