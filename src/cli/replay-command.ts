import { Command, Option } from 'commander';
import { parseHostPort, type HostPort } from '../proxy/address';
import { MATCH_RULES, type MatchRule } from '../replay/command-matcher';
import { DialogError, loadDialog } from '../replay/recorded-dialog';
import { ReplayServer } from '../replay/replay-server';
import { runAgainst } from '../replay/replay-client';
import { IGNORABLE, type Ignorable } from '../replay/response-diff';
import { positiveInt, UsageError } from './usage-error';
import { withProgress } from './progress-meter';
import { stdout, stderr } from '../headless/terminal-output';

interface ReplayOptions {
  serve?: string;
  against?: string;
  session?: number;
  speed: number;
  match: MatchRule;
  tls: boolean;
  insecure: boolean;
  user?: string;
  password?: string;
  ignore: Ignorable[];
}

/** Parse a positive number option (`--speed 0.5`), or throw a UsageError naming the option. */
export function positiveNumber(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number (got "${value}")`);
    return n;
  };
}

function ignoreList(value: string): Ignorable[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    if (!(IGNORABLE as readonly string[]).includes(item)) throw new UsageError(`--ignore takes ${IGNORABLE.join(', ')} (got "${item}")`);
  }
  return items as Ignorable[];
}

function address(text: string, what: string): HostPort {
  try {
    return parseHostPort(text, what);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function registerReplayCommand(program: Command): void {
  program.command('replay')
    .description('replay a capture: as the server to a live client (--serve), or as the client against a real server (--against)')
    .argument('<file>', 'capture file')
    .option('--serve <host:port>', 'act as the recorded server on this address')
    .option('--against <host:port>', 'act as the recorded client against this server and diff its answers')
    .option('-s, --session <n>', 'which session of the capture (default: the first)', positiveInt('--session'))
    .option('--speed <x>', 'pace of IDLE updates (--serve) and of IDLE waits (--against); 2 = twice as fast', positiveNumber('--speed'), 1)
    .addOption(new Option('--match <rule>', 'how live commands are matched with recorded ones (--serve)').choices(MATCH_RULES).default('exact'))
    .option('--tls', 'connect with implicit TLS (--against)', false)
    .option('--insecure', 'do not verify the server certificate (--against --tls)', false)
    .option('--user <name>', 'log in as this user instead of the recorded one (--against)')
    .option('--password <password>', 'with --user: the password to send in LOGIN / AUTHENTICATE PLAIN (--against)')
    .option('--ignore <list>', `volatile values not to compare, comma separated: ${IGNORABLE.join(', ')} (--against)`, ignoreList, [])
    .addHelpText('after', `
Examples:
  imapdbg replay session.pcapng --serve 127.0.0.1:1143        # then point a client at it
  imapdbg replay session.pcapng --against 127.0.0.1:143 --user alice --password secret --ignore uidvalidity,dates

--serve answers each command with the recorded responses of the first unanswered recorded command
that matches it; anything else gets "tag BAD [imapdbg] no recorded response: <reason>".
--against exits 1 when the server answered differently from the recording, 2 when it could not run
(bad arguments, server unreachable).`)
    .action(async (file: string, opts: ReplayOptions) => {
      if ((opts.serve === undefined) === (opts.against === undefined)) throw new UsageError('replay needs exactly one of --serve HOST:PORT or --against HOST:PORT');
      if ((opts.user === undefined) !== (opts.password === undefined)) throw new UsageError('--user and --password go together');
      const listen = opts.serve !== undefined ? address(opts.serve, '--serve') : undefined;
      const target = opts.against !== undefined ? address(opts.against, '--against') : undefined;
      let dialog;
      try {
        dialog = await withProgress(`replay ${file}`, (onProgress) => loadDialog(file, opts.session, onProgress));
      } catch (err) {
        if (err instanceof DialogError) throw new UsageError(err.message);
        throw err;
      }
      if (listen) await serve(file, listen, opts, dialog);
      else if (target) {
        let differs;
        try {
          differs = await runAgainst(dialog, {
            target, tls: opts.tls, insecure: opts.insecure, speed: opts.speed, ignore: opts.ignore,
            credentials: opts.user !== undefined && opts.password !== undefined ? { user: opts.user, password: opts.password } : undefined,
            write: (text) => stdout.write(text), source: file,
          });
        } catch (err) {
          // Exit 1 means "the server answered differently"; a replay that could not run is exit 2.
          throw new UsageError((err as Error).message);
        }
        if (differs) process.exitCode = 1;
      }
    });
}

async function serve(file: string, listen: HostPort, opts: ReplayOptions, dialog: Awaited<ReturnType<typeof loadDialog>>): Promise<void> {
  const server = new ReplayServer(dialog, { rule: opts.match, speed: opts.speed, log: (line) => stderr.write(`imapdbg replay: ${line}\n`) });
  let bound;
  try {
    bound = await server.listen(listen);
  } catch (err) {
    throw new UsageError(`cannot listen on ${opts.serve ?? ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  stderr.write(`imapdbg replay: serving session ${dialog.info.id} of ${file} (${dialog.exchanges.length} commands, --match ${opts.match}) on ${bound.host}:${bound.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
