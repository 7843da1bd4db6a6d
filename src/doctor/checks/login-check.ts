import type { DoctorItem } from '../report';
import { serverText } from '../report';
import { item } from '../items';
import { CAPABILITY, login } from '../commands';
import type { ImapClient } from '../imap-client';
import { capabilitiesIn } from '../response-facts';
import type { DoctorOptions } from '../doctor-options';

export interface LoginOutcome {
  items: DoctorItem[];
  loggedIn: boolean;
  /** Capabilities after login (empty when unknown). */
  capabilities: Set<string>;
}

/** CAPABILITY before login, LOGIN, CAPABILITY after: items login, idle-before-login, idle-after-login. */
export async function loginCheck(client: ImapClient, opts: DoctorOptions): Promise<LoginOutcome> {
  const before = await client.command(CAPABILITY);
  const capsBefore = capabilitiesIn(before.untagged) ?? new Set<string>();
  const idleBefore = capsBefore.has('IDLE')
    ? item('idle-before-login', 'ok', 'advertised')
    : item('idle-before-login', 'warning', 'not advertised before login (a client that reads capabilities only once will never IDLE)');
  if (capsBefore.has('LOGINDISABLED')) {
    // The server would refuse it anyway; the password is not sent in clear text (RFC 3501 6.2.3).
    return { items: [item('login', 'problem', 'LOGIN not sent: the server advertises LOGINDISABLED on this connection (try --starttls or --tls)'), idleBefore], loggedIn: false, capabilities: new Set() };
  }
  const r = await client.command(login(opts.user, opts.password));
  if (r.status !== 'OK') {
    const why = r.status === 'closed' ? 'the server closed the connection' : r.status === 'timeout' ? 'no answer' : `${r.status} ${serverText(r.text)}`;
    return { items: [item('login', 'problem', `LOGIN failed: ${why}`), idleBefore], loggedIn: false, capabilities: new Set() };
  }
  const after = await client.command(CAPABILITY);
  const caps = capabilitiesIn(after.untagged) ?? capabilitiesIn(r.untagged) ?? capabilitiesIn([{ kind: 'tagged', text: r.text, atMs: 0 }]) ?? new Set<string>();
  const idleAfter = caps.has('IDLE') ? item('idle-after-login', 'ok', 'advertised')
    : item('idle-after-login', 'problem', 'IDLE is not advertised: clients cannot get push mail and must poll');
  return { items: [item('login', 'ok', `logged in as ${serverText(opts.user)}`, r.elapsedMs), idleBefore, idleAfter], loggedIn: true, capabilities: caps };
}

