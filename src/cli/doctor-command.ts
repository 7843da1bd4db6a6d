import * as fs from 'node:fs';
import { Command } from 'commander';
import { parseHostPort } from '../proxy/address';
import { stderrStatus, stderr, stdout, stdoutJson } from '../headless/terminal-output';
import { parseDuration } from '../doctor/duration';
import { ConnectError } from '../doctor/imap-client';
import { quotable } from '../doctor/commands';
import { runDoctor } from '../doctor/doctor-run';
import { hasProblem, renderJson, renderTable } from '../doctor/report';
import { positiveInt, UsageError } from './usage-error';

interface DoctorCliOptions {
  tls: boolean;
  starttls: boolean;
  user?: string;
  password?: string;
  passwordFile?: string;
  ca?: string;
  insecure: boolean;
  mailbox: string;
  append: boolean;
  appendMailbox?: string;
  tries: number;
  watch: string;
  pushTimeout: string;
  timeout: string;
  json: boolean;
}

function duration(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${name} must be a duration such as 30s, 5m or 31m (got "${text}")`);
  return ms;
}

/** Reads a password from the terminal without echoing it. */
function promptPassword(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const finish = (): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { finish(); resolve(typed); return; }
        if (ch === '\u0003') { finish(); reject(new UsageError('no password given (interrupted)')); return; }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function password(opts: DoctorCliOptions, user: string): Promise<string> {
  if (opts.password !== undefined && opts.passwordFile !== undefined) throw new UsageError('give --password or --password-file, not both');
  if (opts.password !== undefined) return opts.password;
  if (opts.passwordFile !== undefined) {
    try {
      return fs.readFileSync(opts.passwordFile, 'utf8').split(/\r?\n/)[0];
    } catch (err) {
      throw new UsageError(`cannot read --password-file ${opts.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (!process.stdin.isTTY) throw new UsageError('doctor needs a password: --password, --password-file FILE, or run it on a terminal to be asked');
  return promptPassword(`password for ${user}: `);
}

export function registerDoctorCommand(program: Command): void {
  program.command('doctor')
    .description('check a server\'s IDLE as a client: capability, latencies, push, DONE handling, keepalives, NOTIFY')
    .argument('<host:port>', 'the IMAP server')
    .option('--tls', 'implicit TLS (port 993)', false)
    .option('--starttls', 'STARTTLS after the greeting', false)
    .option('--user <name>', 'user to log in as (LOGIN)')
    .option('--password <password>', 'the password (visible to other local users in the process list; prefer --password-file or the prompt)')
    .option('--password-file <file>', 'read the password from the first line of this file')
    .option('--ca <file>', 'PEM file of the CA that signs the server certificate (--tls, --starttls)')
    .option('--insecure', 'do not verify the server certificate', false)
    .option('--mailbox <name>', 'mailbox to select and IDLE in', 'INBOX')
    .option('--append', 'measure push latency: append one small message per try and delete it afterwards', false)
    .option('--append-mailbox <name>', 'with --append: append to this mailbox instead of --mailbox')
    .option('--tries <n>', 'push latency measurements (median reported)', positiveInt('--tries'), 3)
    .option('--watch <duration>', 'how long to watch a silent IDLE for keepalives (30s, 5m, 31m)', '2m')
    .option('--push-timeout <duration>', 'how long to wait for EXISTS after an APPEND', '10s')
    .option('--timeout <duration>', 'how long connecting and each command may take', '20s')
    .option('--json', 'the report as JSON (for scripts)', false)
    .addHelpText('after', `
Examples:
  imapdbg doctor imap.example.org:993 --tls --user alice            # asks for the password
  imapdbg doctor 127.0.0.1:143 --user alice --password-file pw --append --watch 31m --json

Exit status: 0 no item is a problem, 1 some item is a problem, 2 doctor could not run
(bad arguments, cannot connect). Every connection is a client of HOST:PORT; --append writes to
the mailbox (one message per try, deleted afterwards by UID, nothing else touched).`)
    .action(async (targetText: string, opts: DoctorCliOptions) => {
      let target;
      try {
        target = parseHostPort(targetText, 'doctor target');
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (opts.tls && opts.starttls) throw new UsageError('give --tls or --starttls, not both');
      if (opts.appendMailbox !== undefined && !opts.append) throw new UsageError('--append-mailbox needs --append (consent to write to the mailbox)');
      if (opts.user === undefined) throw new UsageError('doctor needs --user NAME to log in');
      const watchMs = duration('--watch', opts.watch);
      const pushTimeoutMs = duration('--push-timeout', opts.pushTimeout);
      const timeoutMs = duration('--timeout', opts.timeout);
      let ca: Buffer | undefined;
      if (opts.ca !== undefined) {
        try {
          ca = fs.readFileSync(opts.ca);
        } catch (err) {
          throw new UsageError(`cannot read --ca ${opts.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      const pw = await password(opts, opts.user);
      for (const [name, value] of [['--user', opts.user], ['the password', pw], ['--mailbox', opts.mailbox], ['--append-mailbox', opts.appendMailbox ?? '']]) {
        if (!quotable(value)) throw new UsageError(`${name} cannot contain CR, LF or NUL`);
      }
      const progress = (text: string): void => stderrStatus.show(`imapdbg doctor: ${text}`);
      let report;
      try {
        report = await runDoctor({
          endpoint: { host: target.host, port: target.port, security: opts.tls ? 'tls' : opts.starttls ? 'starttls' : 'plain', ca, insecure: opts.insecure, timeoutMs },
          user: opts.user, password: pw, mailbox: opts.mailbox, append: opts.append, appendMailbox: opts.appendMailbox,
          tries: opts.tries, pushTimeoutMs, watchMs, observeMs: Math.min(3000, timeoutMs), progress,
        }, `${target.host}:${target.port}`);
      } catch (err) {
        if (err instanceof ConnectError) throw new UsageError(err.message);
        throw err;
      } finally {
        stderrStatus.clear();
      }
      (opts.json ? stdoutJson : stdout).write(opts.json ? renderJson(report) : renderTable(report));
      process.exitCode = hasProblem(report) ? 1 : 0;
    });
}
