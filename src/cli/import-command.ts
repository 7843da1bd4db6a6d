import { Command } from 'commander';
import { ImportFormatError, importRawlog, type ImportSummary } from '../capture/rawlog-import';
import { importSocat } from '../capture/socat-import';
import { UsageError } from './usage-error';
import { TOOL } from './version';
import { stderr } from '../headless/terminal-output';

interface ImportOptions {
  rawlog?: string;
  socat?: string;
  out?: string;
  force: boolean;
}

export function registerImportCommand(program: Command): void {
  program.command('import')
    .description('turn a Dovecot rawlog pair or a socat -v log into a capture (then view, lint, export or replay it)')
    .option('--rawlog <prefix>', 'Dovecot rawlog pair PREFIX.in / PREFIX.out, with or without timestamps')
    .option('--socat <file>', 'the standard error of `socat -v` between a client and a server')
    .option('-o, --out <file>', 'capture file to write (an existing file is refused)')
    .option('--force', 'overwrite an existing --out file', false)
    .addHelpText('after', `
Examples:
  imapdbg import --rawlog /var/rawlog/20240101-120000-1234 -o session.pcapng
  socat -v TCP-LISTEN:1143,reuseaddr TCP:imap.example.org:143 2> socat.log; imapdbg import --socat socat.log -o session.pcapng

The bytes are framed exactly as the proxy frames live traffic. Without timestamps the two
directions are interleaved by the protocol and times are synthetic.`)
    .action(async (opts: ImportOptions) => {
      if ((opts.rawlog === undefined) === (opts.socat === undefined)) throw new UsageError('import needs exactly one of --rawlog PREFIX or --socat FILE');
      if (opts.out === undefined) throw new UsageError('import needs -o OUT.pcapng');
      let summary: ImportSummary;
      try {
        summary = opts.rawlog !== undefined ? await importRawlog(opts.rawlog, opts.out, TOOL, opts.force)
          : await importSocat(opts.socat ?? '', opts.out, TOOL, opts.force);
      } catch (err) {
        if (err instanceof ImportFormatError) throw new UsageError(err.message);
        throw err;
      }
      for (const note of summary.notes) stderr.write(`imapdbg import: note: ${note}\n`);
      stderr.write(`imapdbg import: wrote ${opts.out}: ${summary.frames} frames, ${summary.bytes.client} bytes from client, ${summary.bytes.server} from server\n`);
    });
}
