import { Command, Option } from 'commander';
import { DEFAULT_LIMITS } from '../imap/direction-framer';
import { PcapngCaptureWriter } from '../capture/pcapng/pcapng-capture-writer';
import { HeadlessPrinter } from '../headless/headless-printer';
import { EventBus } from '../imap/events';
import { parseHostPort } from '../proxy/address';
import { nowUs } from '../proxy/clock';
import { defaultAnnotators } from '../imap/default-annotators';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, ProxyServer } from '../proxy/proxy-server';
import { CompressLayer } from '../proxy/compress-layer';
import { SessionStatsCollector, statsText } from '../imap/session-stats';
import { addTlsOptions, setUpTls, type TlsCliOptions } from './tls-cli';
import { positiveInt, UsageError } from './usage-error';
import { TOOL } from './version';
import { IdleWatch } from '../imap/idle-watch';
import { PushLatencyCollector, pushLatencyText } from '../imap/push-latency-stats';
import { addIdleThresholdOptions, idleThresholds, type IdleThresholdOptions } from './idle-options';
import { stdout, stderr } from '../headless/terminal-output';
import { loadScript, ScriptLoadError } from '../lab/script-loader';
import { ScriptRunner } from '../lab/script-stage';
import { Interceptor } from '../lab/intercept-stage';
import { createRuleStage } from '../lab/rule-stage';
import { addRuleOptions, rulesFrom, type RuleCliOptions } from './rule-options';
import type { FrameStage } from '../lab/frame-stage';
import { addFrontEndOptions, startFrontEnds, wantsFrontEnds, type FrontEndCliOptions } from './front-end-cli';

interface ProxyOptions extends TlsCliOptions, IdleThresholdOptions, RuleCliOptions, FrontEndCliOptions {
  listen: string;
  upstream?: string;
  record?: string;
  force: boolean;
  headless: boolean;
  revealSecrets: boolean;
  idleTimeout: number;
  handshakeTimeout: number;
  utc: boolean;
  literalDigest: 'sha256' | 'none';
  script?: string;
}

export function registerProxyCommand(program: Command): void {
  const proxy = program.command('proxy')
    .description('run the proxy between an IMAP client and server; every byte is forwarded unchanged')
    .option('-l, --listen <host:port>', 'address to listen on', '127.0.0.1:1143')
    .option('-u, --upstream <host:port>', 'the real IMAP server')
    .option('-w, --record <file>', 'write a pcapng capture (Wireshark opens it; mode 0600), block by block; an existing file is refused')
    .option('--force', 'with --record: overwrite an existing capture file (a symbolic link is still refused)', false)
    .option('--headless', 'print one line per frame instead of the terminal UI', false)
    .option('--reveal-secrets', 'show LOGIN passwords and AUTHENTICATE data instead of masking them', false)
    .option('--idle-timeout <seconds>', 'close a session after this long without traffic (default 31 min: IDLE may sit silent 29 min)',
      positiveInt('--idle-timeout'), DEFAULT_IDLE_TIMEOUT_MS / 1000)
    .option('--handshake-timeout <seconds>', 'give up on a connection whose setup step (upstream connect, a TLS handshake, imapdbg\'s STARTTLS) takes longer',
      positiveInt('--handshake-timeout'), DEFAULT_HANDSHAKE_TIMEOUT_MS / 1000)
    .option('--utc', 'print times in UTC', false)
    .addOption(new Option('--literal-digest <digest>', 'digest each literal body while forwarding (costs CPU); readers compute it from the capture when asked')
      .choices(['sha256', 'none']).default('none'))
    .option('--script <file>', 'a JavaScript module (ES or CommonJS) whose hooks may change the conversation (types: types/imapdbg-script.d.ts)');
  addIdleThresholdOptions(proxy);
  addRuleOptions(proxy);
  addFrontEndOptions(proxy);
  addTlsOptions(proxy)
    .addHelpText('after', `
Examples:
  imapdbg proxy --upstream imap.example.org:143 --headless
  imapdbg proxy --listen 127.0.0.1:1143 --upstream 127.0.0.1:143 --record session.pcapng
  then point the mail client at 127.0.0.1:1143.
  imapdbg proxy --tls --listen 127.0.0.1:1993 --upstream imap.example.org:993 --upstream-tls --keylog keys.log
  then let the client trust the CA that "imapdbg ca show" prints and point it at 127.0.0.1:1993.
  imapdbg proxy --socks 127.0.0.1:1080 --record all.pcapng
  then set 127.0.0.1:1080 as the mail client's SOCKS5 proxy (remote DNS): every account is seen as
  it is, under its real server name; ports 143/993 are IMAP, other ports (SMTP...) opaque sessions.
  imapdbg proxy --route 127.0.0.1:1143=imap.a.example:143 --route 127.0.0.1:1993=imap.b.example:993`)
    .action(async (opts: ProxyOptions, cmd: Command) => runProxy(opts, cmd.getOptionValueSource('listen') === 'cli'));
}

async function runProxy(opts: ProxyOptions, listenGiven: boolean): Promise<void> {
  const frontEnds = wantsFrontEnds(opts);
  if (!opts.upstream && !frontEnds) throw new UsageError('--upstream HOST:PORT is required (the real IMAP server), or --socks HOST:PORT, or --route LISTEN=SERVER');
  // Ignoring it silently would leave the user wondering why nothing listens there.
  if (!opts.upstream && listenGiven) throw new UsageError('--listen goes with --upstream; --socks HOST:PORT and --route LISTEN=SERVER name their own listening addresses');
  let listen, upstream;
  try {
    listen = parseHostPort(opts.listen, '--listen');
    upstream = parseHostPort(opts.upstream ?? '0', '--upstream');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // Before anything is created or listens: a rule or a script that cannot run stops the proxy with one line.
  const rules = rulesFrom(opts);
  const script = opts.script === undefined ? undefined : await loadScript(opts.script).catch((err: unknown) => {
    throw err instanceof ScriptLoadError ? new UsageError(err.message) : err;
  });
  const scripts = script ? new ScriptRunner(script, { revealSecrets: opts.revealSecrets }) : undefined;
  const bus = new EventBus();
  // A full disk stops recording, not forwarding: say so at once (stderr, or the TUI's status line once it is up).
  let warn = (line: string): void => { stderr.write(`imapdbg: ${line}\n`); };
  const stopped = (err: Error): string => `recording to ${opts.record} stopped: ${err.message}; still forwarding`;
  const capture = opts.record ? new PcapngCaptureWriter(opts.record, TOOL, nowUs(), { overwrite: opts.force, onError: (err) => warn(stopped(err)) }) : undefined;
  if (capture) bus.add(capture);
  // The terminal UI is the default on a terminal; it opens once the listener is up (errors before it stay readable).
  const useTui = !opts.headless && process.stdout.isTTY === true && process.stdin.isTTY === true;
  if (!useTui) bus.add(new HeadlessPrinter(stdout, { revealSecrets: opts.revealSecrets, utc: opts.utc }));
  // A headless run ends with the per-session summary (the same as `imapdbg stats`).
  const stats = useTui ? undefined : new SessionStatsCollector();
  if (stats) bus.add(stats);
  const push = stats ? new PushLatencyCollector() : undefined;
  if (push) bus.add(push);
  // IDLE timing and push latency across sessions; the timer flags a silent IDLE while it is silent.
  const watch = new IdleWatch(bus, idleThresholds(opts));
  const watchTimer = setInterval(() => watch.tick(nowUs()), 1000).unref();
  const limits = { ...DEFAULT_LIMITS, literalDigest: opts.literalDigest };
  // The TUI's intercept (`i`): its stage gates every session, holding nothing until a filter is set.
  const intercept = useTui ? new Interceptor() : undefined;
  if (intercept) bus.add(intercept);
  // The user's hand first, then the script, then the rules: the first verdict that changes a frame wins.
  // A session is gated (its frames held until complete) only when something may change it: the
  // intercept applies to sessions that open while its filter is set.
  const stages = (): FrameStage[] => [...(intercept?.filterSource !== undefined ? [intercept.stage] : []), ...(scripts ? [scripts.stage()] : []),
    ...(rules.length > 0 ? [createRuleStage(rules)] : [])];
  // --socks and --route (front-end-cli.ts): several listeners, the server chosen per connection or per route.
  let listeners: { close(): Promise<void>; title: string; lines: string[] };
  let tls;
  try {
    if (frontEnds) {
      const started = await startFrontEnds(opts, { sink: watch, flow: capture, annotators: defaultAnnotators, idleTimeoutMs: opts.idleTimeout * 1000,
        handshakeTimeoutMs: opts.handshakeTimeout * 1000, limits, sessionOptions: () => ({ layers: [new CompressLayer()], stages: stages() }), warn: (line) => warn(line) });
      tls = started.tls;
      listeners = started;
      stderr.write(`imapdbg: TLS: by server port; implicit on --tls-ports, STARTTLS intercepted on other IMAP ports; server ${tls.description.slice(tls.description.indexOf('certificate '))}\n`);
    } else {
      const single = await setUpTls(opts, upstream, listen, bus);
      tls = single;
      const proxy = new ProxyServer({ listen, upstream, sink: watch, flow: capture, annotators: defaultAnnotators, idleTimeoutMs: opts.idleTimeout * 1000,
        handshakeTimeoutMs: opts.handshakeTimeout * 1000, limits, startSession: single.interception.startSession,
        sessionOptions: () => ({ layers: [...single.interception.layers(), new CompressLayer()], tls: single.interception, stages: stages() }) });
      let bound;
      try {
        bound = await proxy.listen();
      } catch (err) {
        throw new Error(`cannot listen on ${opts.listen}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      stderr.write(`imapdbg: TLS: ${tls.description}\n`);
      listeners = { close: () => proxy.close(), title: `${bound.host}:${bound.port} → ${opts.upstream}`,
        lines: [`listening on ${bound.host}:${bound.port}, forwarding to ${opts.upstream}${opts.record ? `, recording to ${opts.record}` : ''}`] };
    }
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (script) stderr.write(`imapdbg: script ${opts.script}: ${Object.keys(script.hooks).join(', ')}\n`);
  for (const r of rules) stderr.write(`imapdbg: rule ${r.index}: ${r.text}\n`);
  for (const line of listeners.lines) stderr.write(`imapdbg: ${line}\n`);
  if (frontEnds && opts.record) stderr.write(`imapdbg: recording to ${opts.record}\n`);
  // Loaded only for the UI: blessed costs ~5 MB of RSS that a headless proxy does not need.
  const tui = useTui ? (await import('../tui/tui-app')).openTui({ source: { mode: 'live', title: listeners.title, capturePath: opts.record },
    revealSecrets: opts.revealSecrets, utc: opts.utc, intercept }) : undefined;
  if (tui) bus.add(tui.sink);
  if (tui) {
    warn = (line) => { tui.model.say(line, true); tui.model.onChange(); };
    if (capture?.error) warn(stopped(capture.error));
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    void tui?.quit.then(stop);
  });
  tui?.destroy();
  // Quitting the TUI forwarded what the intercept held: let the sessions write it before they are shut.
  if (intercept) await new Promise<void>((resolve) => setImmediate(resolve));
  await listeners.close();
  clearInterval(watchTimer);
  tls.close();
  await bus.close();
  if (stats) stdout.write(`\n${statsText(stats.summaries(), stats.folded())}${push ? pushLatencyText(push.summaries()) : ''}`);
  if (capture?.error) throw new Error(`capture ${opts.record} is incomplete: ${capture.error.message}`);
  stderr.write('imapdbg: stopped; capture flushed\n');
}
