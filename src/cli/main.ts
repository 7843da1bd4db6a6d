import { Command, CommanderError } from 'commander';
import { registerProxyCommand } from './proxy-command';
import { registerExportCommand } from './export-command';
import { registerReplayCommand } from './replay-command';
import { registerDemoCommand } from './demo-command';
import { registerImportCommand } from './import-command';
import { registerLintCommand } from './lint-command';
import { registerStatsCommand } from './stats-command';
import { registerViewCommand } from './view-command';
import { registerCaCommand } from './ca-command';
import { registerConvertCommand } from './convert-command';
import { oneLineText } from '../imap/terminal-text';
import { registerDoctorCommand } from './doctor-command';
import { TOOL_VERSION } from './version';
import { stderr } from '../headless/terminal-output';

/** Build the command tree; each command lives in its own file and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('imapdbg')
    .description('IMAP protocol debugging proxy: forwards every byte unchanged, shows IMAP frames, IDLE phases and protocol findings')
    .version(TOOL_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`imapdbg: ${text.replace(/^error: /, '')}`) })
    .addHelpText('after', `
Examples:
  imapdbg demo                                              # a replayed IDLE session, no mail account needed
  imapdbg proxy --upstream imap.example.org:143 --record s.pcapng
  imapdbg view s.pcapng            imapdbg lint s.pcapng            imapdbg stats s.pcapng
  imapdbg replay s.pcapng --serve 127.0.0.1:1143`);
  registerProxyCommand(program);
  registerExportCommand(program);
  registerReplayCommand(program);
  registerDemoCommand(program);
  registerImportCommand(program);
  registerLintCommand(program);
  registerStatsCommand(program);
  registerViewCommand(program);
  registerCaCommand(program);
  registerConvertCommand(program);
  registerDoctorCommand(program);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ outputError: (text, write) => write(`imapdbg: ${text.replace(/^error: /, '')}`) });
  return program;
}

/** Entry point used by bin/imapdbg. Bad arguments print one line and exit 2. */
export async function main(argv: string[]): Promise<void> {
  // `imapdbg export FILE | head`: a reader that goes away is the end of the job, not a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    fail(`cannot write to standard output: ${err.code ?? err.message}`);
  });
  // Whatever escapes a command (a stream's 'error' without a listener, a bug) is one line, never a stack.
  process.on('uncaughtException', (err) => fail(`unexpected error: ${err instanceof Error ? err.message : String(err)}`));
  const program = buildProgram();
  if (argv.length <= 2) {
    stderr.write('imapdbg: missing command; try "imapdbg --help" (or "imapdbg demo" for a first look)\n');
    process.exit(2);
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version output are not errors.
      process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2);
    }
    // A bad argument, an unreadable input file, anything else that stopped the command: one line,
    // exit 2. Exit 1 is kept for a verdict (lint found an error, a replay differed).
    fail(err instanceof Error ? err.message : String(err));
  }
}

/** One line on stderr (control characters escaped: a path or a peer's text may hold a newline), exit 2. */
function fail(message: string): never {
  stderr.write(`imapdbg: ${oneLineText(message)}\n`);
  process.exit(2);
}
