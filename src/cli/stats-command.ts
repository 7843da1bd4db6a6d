import { Command } from 'commander';
import { SessionStatsCollector, statsText } from '../imap/session-stats';
import { readOrUsage } from './lint-command';
import { EventBus } from '../imap/events';
import { IdleWatch } from '../imap/idle-watch';
import { PushLatencyCollector, pushLatencyText } from '../imap/push-latency-stats';
import { addIdleThresholdOptions, idleThresholds, type IdleThresholdOptions } from './idle-options';
import { stderr, stdout, stdoutJson } from '../headless/terminal-output';

interface StatsOptions extends IdleThresholdOptions {
  json: boolean;
}

export function registerStatsCommand(program: Command): void {
  const cmd = program.command('stats');
  addIdleThresholdOptions(cmd)
    .description('per session: commands by count and latency (median, p95, max), IDLE periods, bytes, findings')
    .argument('<file>', 'capture file written by `imapdbg proxy --record` (pcapng, or a JSON Lines capture of an earlier version)')
    .option('--json', 'print the summaries as JSON (durations in microseconds)', false)
    .addHelpText('after', `
A pcapng capture is summed from the frames recorded with it; a JSON Lines capture of an earlier
version is framed and annotated again from its bytes, so its numbers follow today's rules.

Examples:
  imapdbg stats session.pcapng
  imapdbg stats session.pcapng --json | jq '.[0].idle'`)
    .action(async (file: string, opts: StatsOptions) => {
      const stats = new SessionStatsCollector();
      const push = new PushLatencyCollector();
      const watch = new IdleWatch(new EventBus().add(stats).add(push), idleThresholds(opts));
      // Data events too, for the byte counts per layer and direction: their sizes only (a pcapng
      // reader skips the payloads).
      const result = await readOrUsage(file, { revealSecrets: false, reframeJsonl: true, data: 'sizes' }, (event) => watch.handle(event), 'stats');
      const all = stats.summaries();
      if (opts.json) stdoutJson.write(`${JSON.stringify(all, null, 2)}\n`);
      else stdout.write(statsText(all, stats.folded()) + pushLatencyText(push.summaries()));
      const folded = stats.folded();
      if (opts.json && folded) stderr.write(`imapdbg: ${folded.sessions} earlier sessions are summed in the text output only (JSON lists the last ${all.length})\n`);
      if (result.truncated) stderr.write(`imapdbg: ${file}: the last record was cut off (read up to the last complete one)\n`);
    });
}
