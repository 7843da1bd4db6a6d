import { Command } from 'commander';
import { convertJsonlToPcapng } from '../capture/pcapng/jsonl-to-pcapng';
import { stderr } from '../headless/terminal-output';
import { TOOL } from './version';
import { withProgress } from './progress-meter';

interface ConvertOptions {
  force: boolean;
}

export function registerConvertCommand(program: Command): void {
  program.command('convert')
    .description('turn a JSON Lines capture (.imapcap, the format before pcapng) into a pcapng capture Wireshark opens')
    .argument('<old>', 'JSON Lines capture written by an earlier imapdbg')
    .argument('<new>', 'pcapng capture to write (created 0600)')
    .option('--force', 'replace NEW if it exists', false)
    .addHelpText('after', `
Examples:
  imapdbg convert session.pcapng session.pcapng
  tshark -r session.pcapng -Y imap -T fields -e imap.request -e imap.response`)
    .action(async (oldPath: string, newPath: string, opts: ConvertOptions) => {
      const summary = await withProgress(`convert ${oldPath}`, (onProgress) => convertJsonlToPcapng(oldPath, newPath, TOOL, opts.force, onProgress));
      if (summary.truncated) stderr.write(`imapdbg: ${oldPath}: the last record was cut off (converted up to the last complete one)\n`);
      stderr.write(`imapdbg convert: wrote ${newPath}: ${summary.events} events, ${summary.dataBytes} bytes of data\n`);
    });
}
