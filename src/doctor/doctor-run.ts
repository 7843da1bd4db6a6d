import { ITEM_IDS, type DoctorItem, type DoctorReport, type ItemId } from './report';
import { item } from './items';
import { ImapClient } from './imap-client';
import type { DoctorOptions } from './doctor-options';
import { closedText } from './idle-session';
import { loginCheck } from './checks/login-check';
import { idleSelectedCheck } from './checks/idle-selected-check';
import { idleAuthenticatedCheck } from './checks/idle-authenticated-check';
import { commandDuringIdleCheck } from './checks/command-during-idle-check';
import { pushLatencyCheck } from './checks/push-latency-check';
import { notifyCheck } from './checks/notify-check';
import { keepaliveCheck } from './checks/keepalive-check';

/**
 * Runs every check against one server and returns the report. Throws ConnectError (exit 2) only
 * when the first connection cannot be made; anything after that becomes a verdict.
 */
export async function runDoctor(opts: DoctorOptions, target: string): Promise<DoctorReport> {
  const found = new Map<ItemId, DoctorItem>();
  const add = (items: DoctorItem[]): void => { for (const i of items) found.set(i.id, i); };
  const report = (): DoctorReport => ({
    target,
    items: ITEM_IDS.map((id) => found.get(id) ?? item(id, 'not run', notRunReason)),
  });
  let notRunReason = 'not run';
  opts.progress(`connecting to ${target}`);
  const main = await ImapClient.open(opts.endpoint);
  try {
    opts.progress('CAPABILITY, LOGIN, CAPABILITY');
    const login = await loginCheck(main, opts);
    add(login.items);
    if (!login.loggedIn) {
      notRunReason = 'not run: login failed';
      return report();
    }
    // Every later step on the main connection first checks it is still open.
    const stillOpen = (): boolean => {
      if (main.closed) notRunReason = `not run: ${closedText(main.closed)} earlier`;
      return !main.closed;
    };
    if (!login.capabilities.has('IDLE')) {
      notRunReason = 'not run: IDLE not advertised';
      if (stillOpen()) add([await notifyCheck(main, login.capabilities)]);
      return report();
    }
    opts.progress(`SELECT ${opts.mailbox}, IDLE, DONE`);
    const selected = await idleSelectedCheck(main, opts);
    add(selected.items);
    opts.progress('IDLE in the authenticated state (second connection)');
    add([await idleAuthenticatedCheck(opts)]);
    opts.progress('a command sent during IDLE (throw-away connection)');
    add([await commandDuringIdleCheck(opts)]);
    if (!selected.selected) {
      notRunReason = 'not run: no mailbox selected';
      if (stillOpen()) add([await notifyCheck(main, login.capabilities)]);
      return report();
    }
    if (stillOpen()) add([await pushLatencyCheck(main, opts, login.capabilities)]);
    if (stillOpen()) {
      opts.progress('LIST, NOTIFY');
      add([await notifyCheck(main, login.capabilities)]);
    }
    if (stillOpen()) add(await keepaliveCheck(main, opts));
    stillOpen();
    return report();
  } finally {
    await main.logout();
  }
}
