import { item } from '../items';
import { serverText, type DoctorItem } from '../report';
import { NOOP_DURING_IDLE } from '../commands';
import { openLoggedIn, type DoctorOptions } from '../doctor-options';
import { formatMs } from '../duration';
import { closedText, endIdle, startIdle } from '../idle-session';

/**
 * A client bug on a throw-away connection: a command (NOOP) sent while idling, without DONE.
 * Records whether the server answers it with BAD, ignores it, ends the IDLE, runs it, or closes.
 * Only closing is a warning: one buggy client line then costs the whole connection.
 */
export async function commandDuringIdleCheck(opts: DoctorOptions): Promise<DoctorItem> {
  const client = await openLoggedIn(opts, opts.mailbox);
  if (typeof client === 'string') return item('command-during-idle', 'problem', client);
  try {
    const idling = await startIdle(client, opts.endpoint.timeoutMs);
    if (!('tag' in idling)) return item('command-during-idle', 'not run', `IDLE: ${idling.reason}`);
    const tag = client.nextTag();
    const answer = client.wait((r) => r.kind === 'tagged' && (r.tag === tag || r.tag === idling.tag), opts.observeMs);
    client.sendLine(`${tag} ${NOOP_DURING_IDLE}`);
    const got = await answer;
    if ('closed' in got) return item('command-during-idle', 'warning', `${tag} NOOP during IDLE: ${closedText(got.closed)}`);
    if ('timeout' in got) {
      const done = await endIdle(client, idling, opts.endpoint.timeoutMs);
      const after = 'failure' in done ? `; then DONE: ${done.failure}` : '';
      return item('command-during-idle', 'failure' in done ? 'warning' : 'ok', `ignored (no answer within ${formatMs(opts.observeMs)}; IDLE went on)${after}`);
    }
    const r = got.response;
    if (r.tag === idling.tag) return item('command-during-idle', 'ok', `ends the IDLE: ${serverText(r.text)}`);
    const status = r.status ?? '?';
    const what = status === 'OK' ? 'runs the command during IDLE' : `answers ${status}, IDLE goes on`;
    await endIdle(client, idling, opts.endpoint.timeoutMs);
    return item('command-during-idle', 'ok', `${what}: ${serverText(r.text)}`);
  } finally {
    await client.logout();
  }
}
