import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { defaultAnnotators } from '../imap/default-annotators';
import type { EventSink } from '../imap/events';
import type { HostPort } from '../proxy/address';
import { ProxyServer } from '../proxy/proxy-server';
import { loadDialog, type RecordedDialog } from './recorded-dialog';
import { ReplayServer } from './replay-server';
import { runDemoScript, ScriptedClient, type DemoScriptResult } from './scripted-client';

/** The bundled fixture the demo replays: a Dovecot session with an IDLE that receives `* 3 EXISTS`. */
export const DEMO_FIXTURE = path.resolve(__dirname, '../../../fixtures/idle-updates.pcapng');

export interface DemoOptions {
  fixture: string;
  /** Where the proxy's events go (the TUI or the headless printer). */
  sink: EventSink;
  /** Pace of the recorded IDLE updates. */
  speed: number;
  /** Replay notes (unmatched commands) for standard error. */
  log: (line: string) => void;
}

/**
 * The demo with no mail account: a replay server plays the fixture's server side, the real proxy
 * sits in front of it, and a scripted client runs the fixture's dialog through the proxy. Resolves
 * once the client has logged out and the proxy has closed the session.
 */
export async function runDemo(options: DemoOptions): Promise<DemoScriptResult> {
  const dialog = await loadDialog(options.fixture);
  const credentials = loginArguments(dialog);
  const replay = new ReplayServer(dialog, { rule: 'exact', speed: options.speed, log: options.log });
  const upstream = await replay.listen({ host: '127.0.0.1', port: 0 });
  const proxy = new ProxyServer({ listen: { host: '127.0.0.1', port: 0 }, upstream, sink: options.sink, annotators: defaultAnnotators });
  try {
    const bound = await proxy.listen();
    const socket = await openSocket(bound);
    try {
      return await runDemoScript(new ScriptedClient(socket), { ...credentials, idleWaitMs: 30_000 / options.speed + 10_000 });
    } finally {
      socket.end();
      // Let the proxy see both sides close so the session-close event is printed.
      for (let i = 0; i < 100 && proxy.openSessions > 0; i++) await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await proxy.close();
    await replay.close();
  }
}

/** The LOGIN arguments of the recorded session, so the scripted client's LOGIN matches it exactly. */
function loginArguments(dialog: RecordedDialog): { user: string; password: string } {
  const login = dialog.exchanges.find((e) => e.verb === 'LOGIN');
  const m = login ? /^\S+ LOGIN (\S+) (\S+)\r\n$/i.exec(login.steps[0].bytes.toString('latin1')) : null;
  if (!m) throw new Error('the demo fixture has no one-line LOGIN command');
  return { user: m[1], password: m[2] };
}

function openSocket(at: HostPort): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(at.port, at.host);
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', reject);
  });
}
