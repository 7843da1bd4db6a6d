import { Command } from 'commander';
import { HeadlessPrinter } from '../headless/headless-printer';
import { EventBus } from '../imap/events';
import { DEMO_FIXTURE, runDemo } from '../replay/demo';
import { positiveNumber } from './replay-command';

interface DemoOptions {
  fixture: string;
  speed: number;
  revealSecrets: boolean;
  utc: boolean;
}

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('watch a whole IMAP session with IDLE through the proxy: no mail account, no server needed')
    .option('--fixture <file>', 'the capture whose server side is replayed', DEMO_FIXTURE)
    .option('--speed <x>', 'pace of the recorded IDLE updates (2 = twice as fast)', positiveNumber('--speed'), 1)
    .option('--reveal-secrets', 'show the LOGIN password instead of masking it', false)
    .option('--utc', 'print times in UTC', false)
    .addHelpText('after', `
What runs: a replay server plays the server side of a recorded Dovecot session (fixtures/idle-updates.imapcap),
the proxy sits in front of it, and a scripted client logs in, selects INBOX, fetches, idles until the
recorded "* 3 EXISTS" arrives, sends DONE and logs out. Output is one line per frame.`)
    .action(async (opts: DemoOptions) => {
      const bus = new EventBus();
      // The terminal UI joins here once src/tui/ exports its sink; until then the demo is headless.
      bus.add(new HeadlessPrinter((line) => process.stdout.write(line), { revealSecrets: opts.revealSecrets, utc: opts.utc }));
      const result = await runDemo({ fixture: opts.fixture, sink: bus, speed: opts.speed,
        log: (line) => process.stderr.write(`imapdbg replay: ${line}\n`) });
      await bus.close();
      process.stderr.write(`imapdbg demo: done; the client received "${result.idleUpdate}" while idling\n`);
    });
}
