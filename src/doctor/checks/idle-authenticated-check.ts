import { item } from '../items';
import type { DoctorItem } from '../report';
import { openLoggedIn, type DoctorOptions } from '../doctor-options';
import { formatMs } from '../duration';
import { endIdle, startIdle } from '../idle-session';

/**
 * IDLE on a fresh connection that selected nothing. IDLE is valid in the authenticated state
 * (RFC 9051 6.3.13); a refusal is a warning, since most clients select a mailbox first.
 */
export async function idleAuthenticatedCheck(opts: DoctorOptions): Promise<DoctorItem> {
  const client = await openLoggedIn(opts);
  if (typeof client === 'string') return item('idle-authenticated', 'problem', client);
  try {
    const idling = await startIdle(client, opts.endpoint.timeoutMs);
    if (!('tag' in idling)) {
      return item('idle-authenticated', idling.closed ? 'problem' : 'warning', `IDLE without a selected mailbox: ${idling.reason}`);
    }
    const done = await endIdle(client, idling, opts.endpoint.timeoutMs);
    if ('failure' in done) return item('idle-authenticated', 'problem', `accepted ("+" after ${formatMs(idling.continuationMs)}), then DONE: ${done.failure}`);
    return item('idle-authenticated', 'ok', `accepted ("+" after ${formatMs(idling.continuationMs)})`, idling.continuationMs);
  } finally {
    await client.logout();
  }
}
