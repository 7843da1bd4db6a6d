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

/** Human-readable description of a CA plus instructions for trusting it. */
export function describeCa(ca: CaMaterial): string {
  const p = ca.certPath;
  const q = JSON.stringify(p); // quoted for shells and Python, also when the path has spaces
  return [
    `CA certificate:      ${p}`,
    `CA private key:      ${ca.keyPath} (keep private; never import it anywhere)`,
    `SHA-256 fingerprint: ${ca.fingerprint256}`,
    `Subject:             ${ca.x509.subject.split('\n').join(', ')}`,
    `Valid from:          ${ca.x509.validFrom}`,
    `Valid until:         ${ca.x509.validTo}`,
    '',
    'To let a client accept the intercepted TLS sessions, trust this certificate:',
    `  curl:        curl --cacert ${q} ...`,
    `  Python:      ssl.create_default_context(cafile=${q})`,
    '  Thunderbird: Settings > Privacy & Security > Certificates > Manage Certificates >',
    `               Authorities > Import, choose ${p}, tick "identify websites"`,
    `  Debian/Ubuntu system store (as root):`,
    `               cp ${q} /usr/local/share/ca-certificates/imapdbg.crt && update-ca-certificates`,
    '',
    'Compare the fingerprint above with what the client shows before trusting it.',
    '',
  ].join('\n');
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
    .addHelpText(
      'after',
      '\nExamples:\n  $ imapdbg ca export > imapdbg-ca.pem\n  $ imapdbg ca export --out /tmp/imapdbg-ca.crt',
    )
    .action(handled(async (opts: CaDirOptions & { out?: string }, cmd: Command) => {
      const material = await loadCa(resolveDir(opts));
      // Only the certificate ever leaves the CA directory.
      if (!opts.out) {
        writeOut(cmd, material.certPem);
        return;
      }
      try {
        await fsp.writeFile(opts.out, material.certPem, { mode: 0o644 });
      } catch (err) {
        throw new Error(`Cannot write ${opts.out}: ${(err as Error).message}.`);
      }
      writeErr(cmd, `Wrote the CA certificate to ${opts.out} (SHA-256 ${material.fingerprint256}).\n`);
    }));
}
