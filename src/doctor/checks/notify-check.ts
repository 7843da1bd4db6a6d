import { item } from '../items';
import type { DoctorItem } from '../report';
import { LIST_ALL } from '../commands';
import type { ImapClient } from '../imap-client';
import { selectableMailboxes } from '../response-facts';

/**
 * NOTIFY (RFC 5465) lets one connection hear about changes in many mailboxes; without it a client
 * needs one IDLE connection per mailbox (or polls). Informational: NOTIFY is optional.
 */
export async function notifyCheck(client: ImapClient, capabilities: Set<string>): Promise<DoctorItem> {
  // Counted as they arrive: a command keeps only its first untagged responses.
  let selectable = 0;
  const stop = client.listen((r) => { selectable += selectableMailboxes([r]); });
  const list = await client.command(LIST_ALL);
  stop();
  const count = list.status === 'OK' ? selectable : undefined;
  const mailboxes = count === undefined ? `LIST failed (${list.status})` : `${count} selectable mailbox${count === 1 ? '' : 'es'}`;
  if (capabilities.has('NOTIFY')) return item('notify', 'ok', `advertised: ${mailboxes} can be watched on one connection`);
  return item('notify', 'ok', `not advertised: ${mailboxes}; watching ${count === undefined ? 'them' : `all ${count}`} takes one IDLE connection each (or polling)`);
}
