import type { HostPort } from '../proxy/address';
import { LiveServer, type LiveFrame } from './live-server';
import { exchangeTitle, type DialogStep, type Exchange, type RecordedDialog } from './recorded-dialog';
import { diffLines, hasChange, responseLines, type DiffLine, type Ignorable } from './response-diff';

/** How long to wait for a tagged response before calling the exchange unanswered. */
const RESPONSE_TIMEOUT_MS = 30_000;
/** Server frames of one exchange kept for the diff; a server that sends more is only counted. */
const FRAMES_PER_EXCHANGE_MAX = 10_000;
/** Unchanged lines shown around a change, as in a unified diff. */
const CONTEXT = 3;

export interface AgainstOptions {
  target: HostPort;
  tls: boolean;
  insecure: boolean;
  /** Pace of the recorded IDLE duration: 2 waits half as long before DONE. */
  speed: number;
  ignore: Ignorable[];
  /** Log in as this user instead of the recorded one (LOGIN, AUTHENTICATE PLAIN). */
  credentials?: { user: string; password: string };
  write: (text: string) => void;
  /** The capture's name, for the diff header. */
  source: string;
}

/** One client step to send, and what must come from the server before it may be sent. */
interface ClientSend {
  bytes: Buffer;
  /** `continuation`: a `+` (RFC 3501 7.5); `idle`: a `+`, then the recorded IDLE time. */
  gate: 'none' | 'continuation' | { idleMs: number };
}

/**
 * Plays the client side of a recorded session against a real server, exchange by exchange, and
 * prints a diff of the responses. Resolves true when any exchange was answered differently.
 */
export async function runAgainst(dialog: RecordedDialog, options: AgainstOptions): Promise<boolean> {
  const ignore = new Set(options.ignore);
  const live = await LiveServer.open(options.target, options.tls, options.insecure);
  let headerShown = false;
  let differing = 0;
  let compared = 0;
  const report = (title: string, diff: DiffLine[]): void => {
    compared += 1;
    if (!hasChange(diff)) return;
    differing += 1;
    if (!headerShown) {
      options.write(`--- recorded: ${options.source}, session ${dialog.info.id}\n+++ live: ${options.target.host}:${options.target.port}\n`);
      headerShown = true;
    }
    options.write(`@@ ${title} @@\n${withContext(diff).join('\n')}\n`);
  };
  try {
    const greeting: LiveFrame[] = [];
    for (let i = 0; i < Math.max(1, dialog.greeting.length); i++) {
      const f = await live.next(RESPONSE_TIMEOUT_MS);
      if (f) greeting.push(f);
    }
    report('greeting', diffLines(render(dialog.greeting, ignore), renderLive(greeting, ignore)));
    for (const exchange of dialog.exchanges) {
      if (exchange.verb === 'STARTTLS' || exchange.verb === 'COMPRESS') {
        report(exchangeTitle(exchange), [{ op: '-', text: `(${exchange.verb} and everything after it cannot be replayed: the replay speaks plain text only)` }]);
        break;
      }
      const { recorded, received, stopped } = await playExchange(live, exchange, options, ignore);
      report(exchangeTitle(exchange), diffLines(recorded, received));
      if (stopped) {
        if (exchange.verb !== 'LOGOUT') report(exchangeTitle(exchange), [{ op: '+', text: `(${stopped})` }]);
        break;
      }
    }
  } finally {
    live.close();
  }
  const ignored = options.ignore.length ? ` (ignoring ${options.ignore.join(', ')})` : '';
  options.write(differing === 0 ? `imapdbg replay: no differences in ${compared} exchanges${ignored}\n`
    : `imapdbg replay: ${differing} of ${compared} exchanges differ${ignored}\n`);
  return differing > 0;
}

async function playExchange(live: LiveServer, exchange: Exchange, options: AgainstOptions, ignore: ReadonlySet<Ignorable>):
  Promise<{ recorded: string[]; received: string[]; stopped?: string }> {
  const { sends, serverSteps } = clientSends(exchange, options);
  const frames: LiveFrame[] = [];
  let idleFrom = -1;
  const isTagged = (f: LiveFrame): boolean => f.frame.kind === 'tagged' && f.frame.tag === exchange.tag;
  let notKept = 0;
  const keep = (f: LiveFrame): void => {
    if (frames.length < FRAMES_PER_EXCHANGE_MAX || isTagged(f) || f.frame.kind === 'continuation') frames.push(f);
    else notKept += 1;
  };
  const received = (list: LiveFrame[]): string[] =>
    [...renderLive(list, ignore), ...(notKept > 0 ? [`(${notKept} more responses not kept)`] : [])];
  let done = false;
  for (const send of sends) {
    if (send.gate !== 'none') {
      for (;;) {
        const f = await live.next(RESPONSE_TIMEOUT_MS);
        if (!f) return { recorded: render(serverSteps, ignore), received: received(frames), stopped: live.endedBecause ?? `no response within ${RESPONSE_TIMEOUT_MS / 1000} s` };
        keep(f);
        if (isTagged(f)) { done = true; break; }
        if (f.frame.kind === 'continuation') break;
      }
      if (done) break;
      if (typeof send.gate === 'object') {
        idleFrom = frames.length;
        const until = Date.now() + send.gate.idleMs;
        for (let left = send.gate.idleMs; left > 0; left = until - Date.now()) {
          const f = await live.next(left);
          if (f) keep(f);
          else if (live.endedBecause !== undefined) break;
        }
      }
    }
    live.send(send.bytes);
  }
  while (!done) {
    const f = await live.next(RESPONSE_TIMEOUT_MS);
    if (!f) return { recorded: render(serverSteps, ignore), received: received(frames), stopped: live.endedBecause ?? `no tagged response within ${RESPONSE_TIMEOUT_MS / 1000} s` };
    keep(f);
    done = isTagged(f);
  }
  let recordedSteps = serverSteps;
  let liveFrames = frames;
  if (ignore.has('idle') && exchange.verb === 'IDLE') {
    // Updates during IDLE depend on what other clients did meanwhile: keep only `+` and the result.
    recordedSteps = serverSteps.filter((s) => s.frame.kind !== 'untagged');
    liveFrames = frames.filter((f, i) => i < idleFrom || f.frame.kind !== 'untagged');
  }
  return { recorded: render(recordedSteps, ignore), received: received(liveFrames) };
}

/** The client steps of an exchange as bytes to send, with the recorded server steps to compare. */
function clientSends(exchange: Exchange, options: AgainstOptions): { sends: ClientSend[]; serverSteps: DialogStep[] } {
  const creds = options.credentials;
  const serverSteps = exchange.steps.filter((s) => s.from === 'server');
  if (creds && exchange.verb === 'LOGIN') {
    // One line with the given credentials; the recording's `+` for literal arguments then has no counterpart.
    const line = `${exchange.tag} LOGIN ${astring(creds.user)} ${astring(creds.password)}\r\n`;
    return { sends: [{ bytes: Buffer.from(line, 'utf8'), gate: 'none' }], serverSteps: serverSteps.filter((s) => s.frame.kind !== 'continuation') };
  }
  const sends: ClientSend[] = [];
  exchange.steps.forEach((step, i) => {
    if (step.from !== 'client') return;
    let bytes = step.bytes;
    const before = exchange.steps[i - 1];
    let gate: ClientSend['gate'] = i > 0 && before?.frame.kind === 'continuation' ? 'continuation' : 'none';
    if (step.frame.kind === 'idle-done') {
      const plus = exchange.steps.find((s) => s.frame.kind === 'continuation');
      gate = { idleMs: plus ? Math.max(0, (step.frame.timeUs - plus.frame.timeUs) / 1000 / options.speed) : 0 };
    }
    if (creds && exchange.verb === 'AUTHENTICATE') bytes = withPlainCredentials(step, i === 0, creds);
    sends.push({ bytes, gate });
  });
  return { sends, serverSteps };
}

/** AUTHENTICATE PLAIN with other credentials: the initial response (RFC 4959) or the first SASL line. */
function withPlainCredentials(step: DialogStep, isCommand: boolean, creds: { user: string; password: string }): Buffer {
  const text = step.bytes.toString('latin1');
  const plain = Buffer.from(`\0${creds.user}\0${creds.password}`, 'utf8').toString('base64');
  if (isCommand) {
    const m = /^(\S+ AUTHENTICATE PLAIN) (\S+)\r\n$/i.exec(text);
    return m && m[2] !== '=' ? Buffer.from(`${m[1]} ${plain}\r\n`, 'latin1') : step.bytes;
  }
  return step.frame.kind === 'sasl' && text !== '*\r\n' ? Buffer.from(`${plain}\r\n`, 'latin1') : step.bytes;
}

/** An atom when it can be one, else a quoted string (RFC 3501 9: astring). */
function astring(s: string): string {
  return /^[A-Za-z0-9._@+-]+$/.test(s) ? s : `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function render(steps: DialogStep[], ignore: ReadonlySet<Ignorable>): string[] {
  return steps.flatMap((s) => responseLines(s.frame, s.bytes, ignore));
}

function renderLive(frames: LiveFrame[], ignore: ReadonlySet<Ignorable>): string[] {
  return frames.flatMap((f) => responseLines(f.frame, f.bytes, ignore));
}

/** Diff lines with unchanged runs cut to CONTEXT lines around each change. */
function withContext(diff: DiffLine[]): string[] {
  const near = diff.map((_, i) => diff.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((d) => d.op !== ' '));
  const out: string[] = [];
  diff.forEach((d, i) => {
    if (near[i]) out.push(`${d.op}${d.text}`);
    else if (i > 0 && near[i - 1]) out.push('…');
  });
  return out;
}
