import { ImapClient, type Endpoint } from './imap-client';
import { login, select } from './commands';
import { serverText } from './report';

/** Everything a doctor run needs; the CLI builds it from the command line. */
export interface DoctorOptions {
  endpoint: Endpoint;
  user: string;
  password: string;
  /** The mailbox doctor selects and idles in. */
  mailbox: string;
  /** Consent to append (and then delete) test messages; without it push latency is skipped. */
  append: boolean;
  /** Where the test messages go; `mailbox` when undefined. */
  appendMailbox?: string;
  /** Push latency measurements; the median is reported. */
  tries: number;
  /** How long to wait for `* N EXISTS` after an APPEND's OK. */
  pushTimeoutMs: number;
  /** How long to watch a silent IDLE for keepalives. */
  watchMs: number;
  /** How long to watch what the server does with a command sent during IDLE. */
  observeMs: number;
  /** What doctor is doing now, one short line (shown on a terminal only). */
  progress(text: string): void;
}

/** Opens another connection and logs in; a one-line reason when that fails. */
export async function openLoggedIn(opts: DoctorOptions, mailbox?: string): Promise<ImapClient | string> {
  let client: ImapClient;
  try {
    client = await ImapClient.open(opts.endpoint);
  } catch (err) {
    return (err as Error).message;
  }
  const r = await client.command(login(opts.user, opts.password));
  if (r.status !== 'OK') {
    client.destroy();
    return `LOGIN on a second connection: ${r.status} ${serverText(r.text)}`;
  }
  if (mailbox !== undefined) {
    const s = await client.command(select(mailbox));
    if (s.status !== 'OK') {
      client.destroy();
      return `SELECT ${serverText(mailbox)}: ${s.status} ${serverText(s.text)}`;
    }
  }
  return client;
}
