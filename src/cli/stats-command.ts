import { Command } from 'commander';
import { Reframer } from '../capture/reframer';
import { SessionStatsCollector, statsText } from '../imap/session-stats';
import { readOrUsage } from './lint-command';
import { stderr, stdout, stdoutJson } from '../headless/terminal-output';

interface StatsOptions {
  json: boolean;
}

export function registerStatsCommand(program: Command): void {
  program.command('stats')
    .description('per session: commands by count and latency (median, p95, max), IDLE periods, bytes, findings')
    .argument('<file>', 'capture file written by `imapdbg proxy --record` (pcapng, or a JSON Lines capture of an earlier version)')
    .option('--json', 'print the summaries as JSON (durations in microseconds)', false)
    .addHelpText('after', `
The capture's bytes are framed and annotated again, so the numbers follow today's rules.

Examples:
  imapdbg stats session.pcapng
  imapdbg stats session.pcapng --json | jq '.[0].idle'`)
    .action(async (file: string, opts: StatsOptions) => {
      const stats = new SessionStatsCollector();
      const reframer = new Reframer(stats);
      const result = await readOrUsage(file, (event) => reframer.handle(event));
      const all = stats.summaries();
      if (opts.json) stdoutJson.write(`${JSON.stringify(all, null, 2)}\n`);
      else stdout.write(statsText(all, stats.folded()));
      const folded = stats.folded();
      if (opts.json && folded) stderr.write(`imapdbg: ${folded.sessions} earlier sessions are summed in the text output only (JSON lists the last ${all.length})\n`);
      if (result.truncated) stderr.write(`imapdbg: ${file}: the last record was cut off (read up to the last complete one)\n`);
    });
}
