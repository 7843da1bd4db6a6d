import type { Socket } from 'node:net';
import { DEFAULT_LIMITS, DirectionFramer } from '../imap/direction-framer';

/** A tagged result and the responses that came before it. */
export interface CommandResult {
  /** Untagged responses and continuation requests, literals inline, without the final CRLF. */
  responses: string[];
  /** The tagged status line. */
  tagged: string;
}

/**
 * A very small IMAP client for scripted dialogs (the demo, fixture recording): sends commands
 * verbatim and reads whole responses, literals included (where one ends is the proxy's own framer's
 * call: `{N}`, `{N+}`, `{N-}`, `~{N}`, RFC 3501 4.3). It checks nothing else; the proxy in front is
 * what inspects the dialog.
 */
export class ScriptedClient {
  private buffer = Buffer.alloc(0);
  /** Stream offset of buffer[0]. */
  private bufferOffset = 0;
  private readonly framer = new DirectionFramer('server', {
    gateLiteral: () => 'inline',
    segment: (s) => this.takeResponse(s.offset + s.length),
  }, { ...DEFAULT_LIMITS, literalDigest: 'none' });
  private readonly responses: string[] = [];
  private ended: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly socket: Socket, private readonly timeoutMs = 10_000) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.framer.push(chunk, 0);
      this.wake?.();
    });
    const end = (err?: Error): void => {
      this.ended ??= err ?? new Error('connection closed');
      this.wake?.();
    };
    socket.on('end', () => end());
    socket.on('close', () => end());
    socket.on('error', end);
  }

  /** Next complete response (a line with its literals), waiting up to the timeout. */
  async next(timeoutMs = this.timeoutMs): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.responses.shift();
      if (r !== undefined) return r;
      if (this.ended) throw new Error(`server closed the connection (${this.ended.message})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      this.wake = undefined;
    }
  }

  /** Reads responses until one satisfies `until`; returns all of them, that one last. */
  async readUntil(until: (response: string) => boolean, timeoutMs = this.timeoutMs): Promise<string[]> {
    const seen: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.next(Math.max(1, deadline - Date.now()));
      seen.push(r);
      if (until(r)) return seen;
    }
  }

  /** Sends raw text (a CRLF is added). */
  send(line: string): void {
    this.socket.write(`${line}\r\n`, 'latin1');
  }

  /** Sends `tag command` and waits for the tagged response; a NO or BAD throws. */
  async command(tag: string, command: string): Promise<CommandResult> {
    this.send(`${tag} ${command}`);
    return this.result(tag, command);
  }

  /** Waits for the tagged response of `tag`; a NO or BAD throws. */
  async result(tag: string, what: string): Promise<CommandResult> {
    const all = await this.readUntil((r) => r.startsWith(`${tag} `));
    const tagged = all[all.length - 1];
    if (!/^\S+ OK/i.test(tagged)) throw new Error(`${what} failed: ${tagged}`);
    return { responses: all.slice(0, -1), tagged };
  }

  /** The framer completed a response ending at stream offset `end`. */
  private takeResponse(end: number): void {
    const length = end - this.bufferOffset;
    this.responses.push(this.buffer.subarray(0, length).toString('latin1').replace(/\r?\n$/, ''));
    this.buffer = this.buffer.subarray(length);
    this.bufferOffset = end;
  }
}

/** Options of the demo dialog. */
export interface DemoScriptOptions {
  user: string;
  password: string;
  /** Called once the server accepted IDLE (the recorder appends a message from elsewhere then). */
  onIdle?: () => void | Promise<void>;
  /** How long to wait in IDLE for the `* N EXISTS` update. */
  idleWaitMs?: number;
}

/** What the demo dialog saw. */
export interface DemoScriptResult {
  /** The `* N EXISTS` update received during IDLE. */
  idleUpdate: string;
}

/**
 * The demo dialog: LOGIN, SELECT INBOX, FETCH, IDLE until an EXISTS update arrives, DONE, LOGOUT.
 * The bundled fixture was recorded with this same dialog, so a replay answers every command.
 */
export async function runDemoScript(client: ScriptedClient, options: DemoScriptOptions): Promise<DemoScriptResult> {
  const greeting = await client.next();
  if (!greeting.startsWith('* OK')) throw new Error(`unexpected greeting: ${greeting}`);
  await client.command('a1', `LOGIN ${options.user} ${options.password}`);
  await client.command('a2', 'SELECT INBOX');
  await client.command('a3', 'FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)');
  client.send('a4 IDLE');
  const accepted = await client.readUntil((r) => r.startsWith('+') || r.startsWith('a4 '));
  if (!accepted[accepted.length - 1].startsWith('+')) throw new Error(`IDLE refused: ${accepted[accepted.length - 1]}`);
  await options.onIdle?.();
  const updates = await client.readUntil((r) => /^\* \d+ EXISTS$/i.test(r), options.idleWaitMs ?? 10_000);
  client.send('DONE');
  await client.result('a4', 'IDLE');
  await client.command('a5', 'LOGOUT');
  return { idleUpdate: updates[updates.length - 1] };
}
