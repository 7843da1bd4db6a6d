import { Command, Option } from 'commander';
import { CaptureError, type CaptureReadResult } from '../capture/capture-reader';
import { readCaptureEvents, type EventReadOptions } from '../capture/capture-export';
import { withProgress } from './progress-meter';
import type { EventSink, ProxyEvent } from '../imap/events';
import type { Finding, FindingLevel, Frame } from '../imap/frame';
import { printable } from '../imap/frame-text';
import { levelRank, ruleList, type RuleInfo } from '../imap/lint/rule-catalog';

import { clockTime, frameLine, type NotationOptions } from '../imap/notation';
import { UsageError } from './usage-error';
import { IDLE_WATCH_CODES, IdleWatch } from '../imap/idle-watch';
import { addIdleThresholdOptions, idleThresholds, type IdleThresholdOptions } from './idle-options';
import { stdout, stderr } from '../headless/terminal-output';

interface LintOptions extends IdleThresholdOptions {
  level: FindingLevel;
  revealSecrets: boolean;
  utc: boolean;
  rules: boolean;
}

export function registerLintCommand(program: Command): void {
  const cmd = program.command('lint');
  addIdleThresholdOptions(cmd)
    .description('check a capture against the IMAP rules (RFC 3501, 2177, 7888, 4959); exit status 1 when any error is found')
    .argument('[file]', 'capture file written by `imapdbg proxy --record`')
    .addOption(new Option('--level <level>', 'lowest level to print').choices(['error', 'warning', 'info']).default('info'))
    .option('--reveal-secrets', 'show LOGIN passwords and AUTHENTICATE data in the frames printed', false)
    .option('--utc', 'print times in UTC', false)
    .option('--rules', 'list every rule (code, level, RFC section) and exit', false)
    .addHelpText('after', `
A pcapng capture is checked by the findings recorded with it (the packets are not read); a JSON Lines
capture of an earlier version, or any capture with --reveal-secrets, is framed again from its bytes
(an old capture is then checked by today's rules).
Each finding prints with the frame that revealed it (secrets masked unless --reveal-secrets).
Exit status: 0 no error found, 1 at least one error, 2 bad arguments or an unreadable capture.

Examples:
  imapdbg lint session.pcapng
  imapdbg lint session.pcapng --level warning
  imapdbg lint --rules`)
    .action(async (file: string | undefined, opts: LintOptions) => {
      if (opts.rules) {
        stdout.write(rulesText());
        return;
      }
      if (file === undefined) throw new UsageError('lint needs a capture FILE (or --rules to list the rules)');
      const printer = new FindingPrinter((line) => stdout.write(line), opts.level, { revealSecrets: opts.revealSecrets, utc: opts.utc });
      // The IDLE watch runs with this command's thresholds (findings a recording proxy made are derived again).
      const watch = new IdleWatch(printer, idleThresholds(opts));
      const result = await readOrUsage(file, { revealSecrets: opts.revealSecrets, reframeJsonl: true, data: false }, (event) => watch.handle(event), 'lint');
      stdout.write(printer.summary());
      if (result.truncated) stderr.write(`imapdbg: ${file}: the last record was cut off (read up to the last complete one)\n`);
      if (printer.counts.error > 0) process.exitCode = 1;
    });
}

/**
 * Read a capture's events, with a progress meter on a terminal; an unreadable capture is a bad
 * argument (exit 2), not a lint error.
 */
export async function readOrUsage(file: string, options: EventReadOptions, onEvent: (event: ProxyEvent) => void,
  command: string): Promise<CaptureReadResult> {
  try {
    return await withProgress(`${command} ${file}`, (onProgress) => readCaptureEvents(file, { ...options, onProgress }, onEvent));
  } catch (err) {
    throw err instanceof CaptureError ? new UsageError(err.message) : err;
  }
}

/**
 * Prints each finding at or above a level, followed by the frame that revealed it (in C:/S:
 * notation, secrets masked unless revealed), and counts every finding whatever its level.
 */
export class FindingPrinter implements EventSink {
  readonly counts: Record<FindingLevel, number> = { error: 0, warning: 0, info: 0 };
  private readonly sessions = new Set<number>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly minLevel: FindingLevel,
    private readonly options: NotationOptions,
  ) {}

  handle(event: ProxyEvent): void {
    if (event.type === 'session-open') this.sessions.add(event.session.id);
    if (event.type === 'frame') {
      const findings = event.frame.annotations.flatMap((a) => (a.kind === 'finding' ? [a.finding] : []));
      const shown = findings.filter((f) => this.count(f));
      if (shown.length === 0) return;
      for (const f of shown) this.write(`${this.head(event.frame.timeUs, event.frame.session, f)} (frame ${event.frame.seq})\n`);
      this.write(`    ${frameLine(withoutAnnotations(event.frame), this.options)}\n`);
    } else if (event.type === 'finding' && this.count(event.finding)) {
      // The IDLE watch's findings come when a threshold is crossed, which has no frame of its own.
      const when = IDLE_WATCH_CODES.has(event.finding.code) ? 'no frame' : 'at session end';
      this.write(`${this.head(event.timeUs, event.session, event.finding)} (${when})\n`);
    }
  }

  /** `3 errors, 1 warning, 0 info in 2 sessions`. */
  summary(): string {
    const c = this.counts;
    const n = this.sessions.size;
    return `${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.info} info in ${n} session${n === 1 ? '' : 's'}\n`;
  }

  /** Count a finding; true when it is at or above the printed level. */
  private count(f: Finding): boolean {
    this.counts[f.level] += 1;
    return levelRank(f.level) >= levelRank(this.minLevel);
  }

  private head(timeUs: number, session: number, f: Finding): string {
    return `${clockTime(timeUs, this.options.utc)} #${session} ${f.level} ${f.code} (${f.rfc}): ${printable(f.message)}`;
  }
}

/** The frame without its annotations: the finding was just printed above it. */
function withoutAnnotations(frame: Frame): Frame {
  return { ...frame, annotations: [] };
}

function rulesText(): string {
  const rules: Array<Pick<RuleInfo, 'code' | 'level' | 'rfc' | 'summary'>> = [
    ...ruleList(),
  ];
  const width = Math.max(...rules.map((r) => r.code.length));
  const rfcWidth = Math.max(...rules.map((r) => r.rfc.length));
  return rules.map((r) => `${r.code.padEnd(width)}  ${r.level.padEnd(7)}  ${r.rfc.padEnd(rfcWidth)}  ${r.summary}\n`).join('');
}
