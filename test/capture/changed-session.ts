// A synthetic session that imapdbg changed, as the proxy's event stream would carry it: wire bytes
// framed and annotated by the real session model, intervention events, and the delivered copy.
// Rule 2 drops the server's `* 3 EXISTS` during IDLE; rule 3 injects `* BYE` toward the client and
// closes; rule 1 drops the client's `a3 NOOP` (the server never answers it).
import type { ProxyEvent } from '../../src/imap/events';
import type { Direction, Frame } from '../../src/imap/frame';
import type { Intervention } from '../../src/imap/intervention';
import { SessionModel } from '../../src/imap/session-model';
import { defaultAnnotators } from '../../src/imap/default-annotators';

export const SESSION = 7;
export const T0 = 1_700_000_000_000_000;

export const DROP_NOOP: Intervention['source'] = { kind: 'rule', index: 1, text: 'drop ~dir c ~c NOOP' };
export const DROP_EXISTS: Intervention['source'] = { kind: 'rule', index: 2, text: 'drop ~dir s EXISTS' };
export const INJECT_BYE: Intervention['source'] = { kind: 'rule', index: 3, text: "inject '* BYE imapdbg says bye' after 5s in IDLE" };

/** The events of the changed session, in the order the proxy emits them, and its frames. */
export function changedSessionEvents(options: { forget?: boolean; expunge?: boolean } = { forget: true }): { events: ProxyEvent[]; frames: Frame[] } {
  const events: ProxyEvent[] = [];
  const frames: Frame[] = [];
  let t = T0;
  events.push({ type: 'session-open', session: { id: SESSION, startUs: t, client: '127.0.0.1:40001', upstream: '127.0.0.1:143', listen: '127.0.0.1:1143' } });
  const model = new SessionModel(SESSION, {
    frame: (frame) => { frames.push(frame); events.push({ type: 'frame', frame }); },
    finding: (finding, timeUs) => events.push({ type: 'finding', session: SESSION, timeUs, finding }),
  }, defaultAnnotators());
  const wire = (direction: Direction, text: string): void => {
    t += 1000;
    const bytes = Buffer.from(text, 'latin1');
    events.push({ type: 'data', session: SESSION, direction, timeUs: t, bytes, layer: 'wire' });
    model.push(direction, bytes, t);
  };
  const delivered = (direction: Direction, text: string): void => {
    t += 10;
    events.push({ type: 'data', session: SESSION, direction, timeUs: t, bytes: Buffer.from(text, 'latin1'), layer: 'delivered' });
  };
  const change = (intervention: Intervention): void => {
    t += 10;
    events.push({ type: 'intervention', session: SESSION, timeUs: t, intervention });
  };
  const both = (direction: Direction, text: string): void => { wire(direction, text); delivered(direction, text); };
  const lastSeq = (): number => frames[frames.length - 1].seq;

  both('server', '* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n');
  both('client', 'a1 LOGIN alice secret\r\n');
  both('server', 'a1 OK logged in\r\n');
  both('client', 'a2 SELECT INBOX\r\n');
  both('server', '* 2 EXISTS\r\na2 OK [READ-WRITE] done\r\n');
  wire('client', 'a3 NOOP\r\n');
  change({ action: 'drop', source: DROP_NOOP, toward: 'server', frameSeq: lastSeq(), detail: 'a3 NOOP' });
  // As the executor does when it drops a client command: the server never saw it.
  if (options.forget) model.forgetCommand('a3');
  // A server EXPUNGE while (as the server knows) no command is in progress: the server's fault, to be flagged.
  if (options.expunge) both('server', '* 1 EXPUNGE\r\n');
  both('client', 'a4 IDLE\r\n');
  both('server', '+ idling\r\n');
  wire('server', '* 3 EXISTS\r\n');
  change({ action: 'drop', source: DROP_EXISTS, toward: 'client', frameSeq: lastSeq(), detail: '* 3 EXISTS' });
  delivered('server', '* BYE imapdbg says bye\r\n');
  change({ action: 'inject', source: INJECT_BYE, toward: 'client', deliveredBytes: 24, detail: '* BYE imapdbg says bye' });
  change({ action: 'close', source: INJECT_BYE, toward: 'client', detail: 'close both' });
  t += 1000;
  model.endDirection('client', t);
  model.endDirection('server', t);
  model.end(t);
  events.push({ type: 'session-close', session: SESSION, timeUs: t, end: { by: 'client-closed' }, bytes: { client: 43, server: 96 }, frames: model.frameCount });
  return { events, frames };
}
