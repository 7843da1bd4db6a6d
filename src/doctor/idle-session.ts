import { formatMs } from './duration';
import { now, type Closed, type ImapClient } from './imap-client';
import { DONE, IDLE } from './commands';
import { serverText } from './report';

/** An IDLE the server accepted: its tag and the time from the command to `+`. */
export interface Idling {
  tag: string;
  continuationMs: number;
}

/** Why an IDLE did not start. */
export interface IdleRefused {
  reason: string;
  closed?: Closed;
}

/** How a closed connection ended, for people. */
export function closedText(closed: Closed): string {
  return closed.bye !== undefined ? `the server closed the connection with ${serverText(closed.bye)}`
    : `the server ${closed.how === 'reset' ? 'reset' : 'closed'} the connection without BYE`;
}

/** Sends IDLE and waits for `+` (RFC 2177 3), a refusal, or the end of the connection. */
export async function startIdle(client: ImapClient, timeoutMs: number): Promise<Idling | IdleRefused> {
  const tag = client.nextTag();
  const start = now();
  const answer = client.wait((r) => r.kind === 'continuation' || (r.kind === 'tagged' && r.tag === tag), timeoutMs);
  client.sendLine(`${tag} ${IDLE}`);
  const got = await answer;
  if ('timeout' in got) return { reason: `no "+" within ${formatMs(timeoutMs)}` };
  if ('closed' in got) return { reason: closedText(got.closed), closed: got.closed };
  if (got.response.kind === 'tagged') return { reason: `refused: ${serverText(got.response.text)}` };
  return { tag, continuationMs: got.response.atMs - start };
}

/** What DONE came to: the tagged response's status and time, or why there is none. */
export type DoneOutcome = { status: string; text: string; ms: number } | { failure: string; closed?: Closed };

/** Sends DONE and waits for the IDLE's tagged response. */
export async function endIdle(client: ImapClient, idling: Idling, timeoutMs: number): Promise<DoneOutcome> {
  const start = now();
  const answer = client.wait((r) => r.kind === 'tagged' && r.tag === idling.tag, timeoutMs);
  client.sendLine(DONE);
  const got = await answer;
  if ('timeout' in got) return { failure: `no tagged response within ${formatMs(timeoutMs)} of DONE` };
  if ('closed' in got) return { failure: closedText(got.closed), closed: got.closed };
  return { status: got.response.status ?? 'BAD', text: got.response.text, ms: got.response.atMs - start };
}
