/**
 * `imapdbg ca ...`: create, inspect and export the local interception CA.
 * Failures are thrown as one-sentence UsageErrors; the main CLI prints them and exits 2.
 */
import { Command } from 'commander';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CaMaterial, defaultCaDir, initCa, loadCa } from '../proxy/tls/ca-store';
import { UsageError } from './usage-error';
import { stdout, stderr } from '../headless/terminal-output';
import { oneLineText } from '../imap/terminal-text';

interface CaDirOptions {
  caDir?: string;
}

// Output goes through commander's configured writers (stdout/stderr by default)
// so embedding programs and tests can redirect it.
function writeOut(cmd: Command, text: string): void {
  const w = cmd.configureOutput().writeOut;
  if (w) w(text);
  else stdout.write(text);
}

function writeErr(cmd: Command, text: string): void {
  const w = cmd.configureOutput().writeErr;
  if (w) w(text);
  else stderr.write(text);
}

/** Wraps an action so any failure reaches main() as a one-line UsageError (exit 2). */
function handled<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new UsageError(/[.!?]$/.test(msg) ? msg : `${msg}.`);
    }
  };
}

function resolveDir(opts: CaDirOptions): string {
  return opts.caDir ? path.resolve(opts.caDir) : defaultCaDir();
}

/** Human-readable description of a CA plus, per client, how to trust it. */
export function describeCa(ca: CaMaterial): string {
  const p = oneLineText(ca.certPath);
  return [
    `CA certificate:      ${p}`,
    `CA private key:      ${oneLineText(ca.keyPath)} (keep private; never import it anywhere)`,
    `SHA-256 fingerprint: ${ca.fingerprint256}`,
    `Subject:             ${ca.x509.subject.split('\n').join(', ')}`,
    `Valid from:          ${ca.x509.validFrom}`,
    `Valid until:         ${ca.x509.validTo}`,
    '',
    'To let a client accept the intercepted TLS sessions, trust this certificate:',
    ...trustInstructions(ca.certPath).map((line) => oneLineText(line)),
    '',
    'Compare the fingerprint above with what the client shows before trusting it.',
    'A DER copy (Windows, some Java and Android tools): imapdbg ca export --format der --out imapdbg-ca.der',
    '',
  ].join('\n');
}

/** What to do, per client, to trust the CA certificate at `certPath`. Thunderbird keeps its own store. */
export function trustInstructions(certPath: string): string[] {
  const q = JSON.stringify(certPath);
  return [
    '  Thunderbird (its own store, not the system\'s):',
    '               Settings > Privacy & Security > Certificates > Manage Certificates >',
    `               Authorities > Import, choose ${certPath}, tick "Trust this CA to identify websites"`,
    '  Debian/Ubuntu system store (as root; the file must end in .crt):',
    `               cp ${q} /usr/local/share/ca-certificates/imapdbg.crt && update-ca-certificates`,
    '  macOS keychain:',
    `               sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${q}`,
    '  Windows (an Administrator prompt; -user instead for the current user only):',
    `               certutil -addstore Root ${q}`,
    '  Node.js:     NODE_EXTRA_CA_CERTS=' + q + ' node app.js   (imapflow, nodemailer)',
    `  Python:      ssl.create_default_context(cafile=${q})   (imaplib.IMAP4_SSL(ssl_context=...))`,
    `  curl:        curl --cacert ${q} imaps://127.0.0.1:1993/`,
  ];
}

/** Formats `ca export` writes. */
const EXPORT_FORMATS = ['pem', 'der'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

function exportFormat(value: string | undefined): ExportFormat {
  const f = (value ?? 'pem').toLowerCase();
  if ((EXPORT_FORMATS as readonly string[]).includes(f)) return f as ExportFormat;
  throw new UsageError(`Unknown export format "${oneLineText(value ?? '')}": use pem or der.`);
}

/** Adds the `ca` command group (`init`, `show`, `export`) to the program. */
export function registerCaCommand(program: Command): void {
  const ca = program
    .command('ca')
    .description('manage the local certificate authority used to intercept TLS')
    .addHelpText(
      'after',
      `
The CA is created automatically the first time TLS is intercepted. It lives in
$XDG_CONFIG_HOME/imapdbg/ca (default ~/.config/imapdbg/ca) unless --ca-dir is given.

Examples:
  $ imapdbg ca init                         create the CA (refuses to overwrite)
  $ imapdbg ca init --force                 replace it; clients must trust the new one
  $ imapdbg ca show                         fingerprint, validity and how to trust it
  $ imapdbg ca export --out imapdbg-ca.pem  copy the certificate (never the key)
  $ imapdbg ca show --ca-dir ./ca           use a project-local CA`,
    );

  ca.command('init')
    .description('create a new CA certificate and private key')
    .option('--ca-dir <dir>', 'CA directory (default: $XDG_CONFIG_HOME/imapdbg/ca)')
    .option('--force', 'replace an existing CA (previously trusted copies stop working)')
    .addHelpText('after', '\nExamples:\n  $ imapdbg ca init\n  $ imapdbg ca init --ca-dir ./ca --force')
    .action(handled(async (opts: CaDirOptions & { force?: boolean }, cmd: Command) => {
      const material = await initCa(resolveDir(opts), { force: opts.force === true });
      writeOut(cmd, `Created a new imapdbg CA.\n\n${describeCa(material)}`);
    }));

  ca.command('show')
    .description('print the CA location, fingerprint, validity and how to trust it')
    .option('--ca-dir <dir>', 'CA directory (default: $XDG_CONFIG_HOME/imapdbg/ca)')
    .addHelpText('after', '\nExamples:\n  $ imapdbg ca show\n  $ imapdbg ca show --ca-dir ./ca')
    .action(handled(async (opts: CaDirOptions, cmd: Command) => {
      writeOut(cmd, describeCa(await loadCa(resolveDir(opts))));
    }));

  ca.command('export')
    .description('write the CA certificate (PEM, never the private key) to stdout or a file')
    .option('--ca-dir <dir>', 'CA directory (default: $XDG_CONFIG_HOME/imapdbg/ca)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--format <format>', 'pem (default) or der (binary, for clients that want DER)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ imapdbg ca export > imapdbg-ca.pem\n  $ imapdbg ca export --out /tmp/imapdbg-ca.crt\n  $ imapdbg ca export --format der --out imapdbg-ca.der',
    )
    .action(handled(async (opts: CaDirOptions & { out?: string; format?: string }, cmd: Command) => {
      const format = exportFormat(opts.format);
      const material = await loadCa(resolveDir(opts));
      // Only the certificate ever leaves the CA directory.
      const body: string | Buffer = format === 'der' ? material.x509.raw : material.certPem;
      if (!opts.out) {
        if (typeof body === 'string') {
          writeOut(cmd, body);
          return;
        }
        if (process.stdout.isTTY) throw new UsageError('DER is binary: not written to a terminal; use --out <file> or a redirection.');
        // Binary bytes, not text for a terminal: written as they are (like `export --format raw`).
        const binaryOut: NodeJS.WritableStream = process.stdout;
        binaryOut.write(body);
        return;
      }
      try {
        await fsp.writeFile(opts.out, body, { mode: 0o644 });
      } catch (err) {
        throw new Error(`Cannot write ${opts.out}: ${(err as Error).message}.`);
      }
      writeErr(cmd, `Wrote the CA certificate to ${opts.out} (SHA-256 ${material.fingerprint256}).\n`);
    }));
}
