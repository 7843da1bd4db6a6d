import { createWriteStream, fchmodSync, fstatSync, openSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { exportJson, exportRaw, exportText, type ExportWrite } from '../capture/capture-export';
import { exportRawlog } from '../capture/rawlog-export';
import { readCapture } from '../capture/capture-reader';
import { exportPcapng } from '../capture/pcapng/pcapng-export';
import { withProgress } from './progress-meter';
import { TOOL } from './version';
import type { Direction } from '../imap/frame';
import { positiveInt, UsageError } from './usage-error';
import { stderr } from '../headless/terminal-output';
import { terminalJson, terminalText } from '../imap/terminal-text';

interface ExportOptions {
  format: 'text' | 'json' | 'raw' | 'rawlog' | 'pcapng';
  redact: boolean;
  force: boolean;
  outPrefix?: string;
  timestamps: boolean;
  session?: number;
  direction?: Direction;
  layer: 'wire' | 'inflated' | 'delivered';
  out?: string;
  revealSecrets: boolean;
  utc: boolean;
}

export function registerExportCommand(program: Command): void {
  program.command('export')
    .description('print a capture as text (C:/S: notation), JSON (one object per frame), the raw bytes of one direction, Dovecot rawlog pairs, or a pcapng copy (--redact: safe for a bug report)')
    .argument('<file>', 'capture file written by `imapdbg proxy --record` (pcapng, or a JSON Lines capture of an earlier version)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'raw', 'rawlog', 'pcapng']).default('text'))
    .option('-s, --session <n>', 'session id (raw format; text, json, rawlog: only this session)', positiveInt('--session'))
    .addOption(new Option('-d, --direction <dir>', 'which peer\'s bytes (raw format)').choices(['client', 'server']))
    .addOption(new Option('--layer <layer>', 'raw bytes as each peer sent them, the inflated copy under COMPRESS, or what imapdbg delivered to the other peer in a session it changed').choices(['wire', 'inflated', 'delivered']).default('wire'))
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .option('--out-prefix <prefix>', 'rawlog format: write PREFIX.in (client) and PREFIX.out (server); PREFIX-N.* per session when several')
    .option('--no-timestamps', 'rawlog format: no "SECONDS.MICROSECONDS " at line starts (like `rawlog` without -t)')
    .option('--redact', 'pcapng format: overwrite LOGIN passwords and AUTHENTICATE data in the packets too (same lengths)', false)
    .option('--force', 'pcapng format: replace an existing --out file', false)
    .option('--reveal-secrets', 'show LOGIN passwords and AUTHENTICATE data instead of masking them', false)
    .option('--utc', 'print times in UTC', false)
    .addHelpText('after', `
Examples:
  imapdbg export session.pcapng                      # C:/S: transcript, secrets masked
  imapdbg export session.pcapng --format json | jq .verb
  imapdbg export session.pcapng --format raw --session 1 --direction server > server.bin
  imapdbg export session.pcapng --format rawlog --out-prefix /tmp/session   # /tmp/session.in, /tmp/session.out
  imapdbg export session.pcapng --format pcapng --redact -o for-bug-report.pcapng
  imapdbg export old.imapcap --format pcapng -o new.pcapng    # a JSON Lines capture of an earlier version

A capture keeps the raw bytes, secrets included; text and JSON output mask them unless --reveal-secrets.`)
    .action(async (file: string, opts: ExportOptions) => {
      if (opts.format === 'pcapng') {
        if (opts.out === undefined) throw new UsageError('--format pcapng needs -o OUT.pcapng');
        if (opts.session !== undefined) throw new UsageError('--format pcapng copies the whole capture; --session is not supported with it');
        const out = opts.out;
        const r = await withProgress(`export ${file}`, (onProgress) => exportPcapng(file, out, { redact: opts.redact, overwrite: opts.force, tool: TOOL, onProgress }));
        stderr.write(`imapdbg: wrote ${out} (${r.how}${r.redactedSpans === undefined ? '' : `, ${r.redactedSpans} secret spans overwritten`})\n`);
        return;
      }
      if (opts.redact) throw new UsageError('--redact goes with --format pcapng (text and JSON output mask secrets already)');
      if (opts.format === 'raw' && (opts.session === undefined || opts.direction === undefined)) {
        throw new UsageError('--format raw needs --session N and --direction client|server');
      }
      if (opts.format === 'rawlog') {
        if (!opts.outPrefix) throw new UsageError('--format rawlog needs --out-prefix PREFIX (it writes PREFIX.in and PREFIX.out)');
        const prefix = opts.outPrefix;
        const r = await withProgress(`export ${file}`, (onProgress) => exportRawlog(file, prefix,
          { session: opts.session, timestamps: opts.timestamps, revealSecrets: opts.revealSecrets, onProgress }));
        stderr.write(r.written.length > 0 ? `imapdbg: wrote ${r.written.join(', ')}\n`
          : `imapdbg: ${file} has no ${opts.session === undefined ? 'sessions' : `session ${opts.session}`}: nothing written\n`);
        if (r.truncated) stderr.write(`imapdbg: ${file}: the last record was cut off (read up to the last complete one)\n`);
        return;
      }
      const { write, done } = output(opts.out, opts.format);
      const result = await withProgress(`export ${file}`, async (onProgress) => {
        const { revealSecrets, utc, session } = opts;
        if (opts.format === 'text') return exportText(file, write, { revealSecrets, utc, session, onProgress });
        if (opts.format === 'json') return exportJson(file, write, { revealSecrets, session, onProgress });
        const raw = await exportRaw(file, write, session ?? 0, opts.direction ?? 'client', opts.layer, onProgress);
        if (!raw.sessions.includes(session ?? 0)) {
          // Read only that session (through the index): list them all, from the metadata.
          const all = new Set<number>();
          await readCapture(file, (e) => { if (e.type === 'session-open') all.add(e.session.id); }, { data: false });
          throw new UsageError(`no session ${session ?? 0} in ${file} (sessions: ${[...all].join(', ') || 'none'})`);
        }
        return raw;
      });
      await done();
      if (result.truncated) stderr.write(`imapdbg: ${file}: the last record was cut off (read up to the last complete one)\n`);
    });
}

/**
 * A writer with backpressure onto stdout or a file. The file is opened before anything is read, so
 * a bad -o is one line at once; it is created 0600 (raw and --reveal-secrets output hold secrets),
 * and a write error (a full disk) ends the export with that error.
 */
function output(path: string | undefined, format: ExportOptions['format']): { write: ExportWrite; done: () => Promise<void> } {
  let stream: Writable = process.stdout;
  let failed: Error | undefined;
  if (path !== undefined) {
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o600);
      // An existing file keeps its mode on open: make it 0600 too (raw bytes hold secrets in clear).
      if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    } catch (err) {
      throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    stream = createWriteStream(path, { fd });
    stream.on('error', (err) => { failed ??= err; });
  }
  const check = (): void => {
    if (failed) throw new Error(`cannot write ${path ?? 'standard output'}: ${(failed as NodeJS.ErrnoException).code ?? failed.message}`);
  };
  // Text and JSON pass through the terminal escaper (terminal-text.ts); raw bytes pass unchanged.
  const encode = format === 'text' ? terminalText : format === 'json' ? terminalJson : undefined;
  const write: ExportWrite = (chunk) => {
    check();
    if (stream.write(encode && typeof chunk === 'string' ? encode(chunk) : chunk)) return undefined;
    return new Promise<void>((resolve) => {
      const go = (): void => { stream.off('drain', go); stream.off('error', go); resolve(); };
      stream.once('drain', go);
      stream.once('error', go);
    }).then(check);
  };
  // Done once the file is closed: a write error (ENOSPC) is reported by then. Waiting only for
  // end's callback missed it when every write was queued before the first one failed (a fast read).
  const done = (): Promise<void> => (path ? new Promise<void>((r) => {
    if (stream.closed) { r(); return; }
    stream.once('close', () => r());
    stream.end();
  }).then(check) : Promise.resolve());
  return { write, done };
}
