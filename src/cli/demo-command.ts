import { Command } from 'commander';
import { HeadlessPrinter } from '../headless/headless-printer';
import { EventBus } from '../imap/events';
import { DEMO_FIXTURE, runDemo } from '../replay/demo';
import { positiveNumber } from './replay-command';
import { stdout, stderr } from '../headless/terminal-output';

interface DemoOptions {
  fixture: string;
  speed: number;
  headless: boolean;
  revealSecrets: boolean;
  utc: boolean;
}

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('watch a whole IMAP session with IDLE through the proxy: no mail account, no server needed')
    .option('--fixture <file>', 'the capture whose server side is replayed', DEMO_FIXTURE)
    .option('--speed <x>', 'pace of the recorded IDLE updates (2 = twice as fast)', positiveNumber('--speed'), 1)
    .option('--headless', 'one line per frame instead of the terminal UI (the default when stdout is not a terminal)', false)
    .option('--reveal-secrets', 'show the LOGIN password instead of masking it', false)
    .option('--utc', 'print times in UTC', false)
    .addHelpText('after', `
What runs: a replay server plays the server side of a recorded Dovecot session (fixtures/idle-updates.pcapng),
the proxy sits in front of it, and a scripted client logs in, selects INBOX, fetches, idles until the
recorded "* 3 EXISTS" arrives, sends DONE and logs out. On a terminal the session is shown in the
terminal UI (quit with q when done); otherwise one line per frame, and the command exits when the client has logged out.

Examples:
  imapdbg demo                          # the terminal UI on a terminal
  imapdbg demo --headless --speed 10    # one line per frame, IDLE updates ten times as fast
  imapdbg demo --fixture my.pcapng     # replay the server side of your own capture`)
    .action(async (opts: DemoOptions) => {
      const bus = new EventBus();
      // Loaded only for the UI (as in proxy-command.ts): blessed costs ~5 MB of RSS in every other command.
      const tui = !opts.headless && process.stdout.isTTY === true && process.stdin.isTTY === true
        ? (await import('../tui/tui-app')).openTui({ source: { mode: 'live', title: `demo: ${opts.fixture} replayed through the proxy` }, revealSecrets: opts.revealSecrets, utc: opts.utc })
        : undefined;
      if (tui) bus.add(tui.sink);
      else bus.add(new HeadlessPrinter(stdout, { revealSecrets: opts.revealSecrets, utc: opts.utc }));
      // Under the TUI, replay notes would tear the screen: they are kept and printed after it closes.
      const notes: string[] = [];
      const run = runDemo({ fixture: opts.fixture, sink: bus, speed: opts.speed,
        log: (line) => (tui ? notes.push(line) : stderr.write(`imapdbg replay: ${line}\n`)) });
      if (tui) {
        // The session is there to be looked at: the UI stays until the user quits.
        await Promise.race([run.then(() => tui.quit, () => tui.quit), tui.quit]);
        tui.destroy();
        for (const note of notes) stderr.write(`imapdbg replay: ${note}\n`);
      }
      const result = await run;
      await bus.close();
      stderr.write(`imapdbg demo: done; the client received "${result.idleUpdate}" while idling\n`);
    });
}
