import { item } from '../items';
import { serverText, type DoctorItem } from '../report';
import { select } from '../commands';
import type { ImapClient } from '../imap-client';
import type { DoctorOptions } from '../doctor-options';
import { formatMs } from '../duration';
import { endIdle, startIdle } from '../idle-session';

/** SELECT the mailbox, IDLE, DONE: items idle-selected (time to `+`) and done-response (DONE to OK). */
export async function idleSelectedCheck(client: ImapClient, opts: DoctorOptions): Promise<{ items: DoctorItem[]; selected: boolean }> {
  const timeout = opts.endpoint.timeoutMs;
  const s = await client.command(select(opts.mailbox));
  if (s.status !== 'OK') {
    const why = `SELECT ${serverText(opts.mailbox)} failed: ${s.status} ${serverText(s.text)} (--mailbox NAME picks another)`;
    return { items: [item('idle-selected', 'problem', why), item('done-response', 'not run', 'no IDLE')], selected: false };
  }
  const idling = await startIdle(client, timeout);
  if (!('tag' in idling)) {
    return { items: [item('idle-selected', 'problem', `IDLE in ${serverText(opts.mailbox)}: ${idling.reason}`), item('done-response', 'not run', 'no IDLE')], selected: true };
  }
  const idleItem = item('idle-selected', 'ok', `"+" after ${formatMs(idling.continuationMs)}`, idling.continuationMs);
  const done = await endIdle(client, idling, timeout);
  if ('failure' in done) return { items: [idleItem, item('done-response', 'problem', done.failure)], selected: true };
  if (done.status !== 'OK') return { items: [idleItem, item('done-response', 'problem', `${done.status} to DONE: ${serverText(done.text)}`, done.ms)], selected: true };
  return { items: [idleItem, item('done-response', 'ok', `tagged OK after ${formatMs(done.ms)}`, done.ms)], selected: true };
}
