import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerCaCommand } from '../../../src/cli/ca-command';
import { UsageError } from '../../../src/cli/usage-error';

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-cacli-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `imapdbg <args>` in-process, capturing what the commands write. */
async function run(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('imapdbg')
    .exitOverride()
    .configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });
  registerCaCommand(program);
  await program.parseAsync(args, { from: 'user' });
  return { out, err };
}

test('ca init creates the CA, refuses a second time, replaces with --force', async () => {
  const dir = path.join(tempDir(), 'ca');
  const { out } = await run('ca', 'init', '--ca-dir', dir);
  assert.match(out, /Created a new imapdbg CA/);
  assert.ok(fs.existsSync(path.join(dir, 'ca-key.pem')));
  await assert.rejects(run('ca', 'init', '--ca-dir', dir), /already exists in .*--force/);
  const again = await run('ca', 'init', '--ca-dir', dir, '--force');
  assert.match(again.out, /SHA-256 fingerprint/);
});

test('ca show prints path, fingerprint, subject, validity and trust instructions', async () => {
  const dir = path.join(tempDir(), 'ca');
  await run('ca', 'init', '--ca-dir', dir);
  const { out } = await run('ca', 'show', '--ca-dir', dir);
  const certPath = path.join(dir, 'ca-cert.pem');
  assert.ok(out.includes(certPath));
  assert.match(out, /SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  assert.match(out, /CN=imapdbg CA/);
  assert.match(out, /Valid until: +\w+ +\d+/);
  assert.ok(out.includes(`curl --cacert "${certPath}"`));
  assert.ok(out.includes(`ssl.create_default_context(cafile="${certPath}")`));
  assert.match(out, /Manage Certificates >\s+Authorities > Import/);
  assert.ok(out.includes('/usr/local/share/ca-certificates/imapdbg.crt && update-ca-certificates'));
  assert.doesNotMatch(out, /BEGIN PRIVATE KEY/);
});

test('ca show without a CA is a one-sentence usage error', async () => {
  await assert.rejects(run('ca', 'show', '--ca-dir', tempDir()), (err: Error) => {
    assert.ok(err instanceof UsageError, 'main() prints UsageErrors as one line and exits 2');
    assert.match(err.message, /^No imapdbg CA found in .*; run "imapdbg ca init" to create one\.$/);
    return true;
  });
});

test('ca export writes the certificate only, to stdout or --out', async () => {
  const dir = path.join(tempDir(), 'ca');
  await run('ca', 'init', '--ca-dir', dir);
  const cert = fs.readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8');
  const { out } = await run('ca', 'export', '--ca-dir', dir);
  assert.equal(out, cert);
  assert.doesNotMatch(out, /PRIVATE KEY/);
  const file = path.join(tempDir(), 'exported.pem');
  const r = await run('ca', 'export', '--ca-dir', dir, '--out', file);
  assert.equal(r.out, '');
  assert.equal(fs.readFileSync(file, 'utf8'), cert);
  assert.match(r.err, /Wrote the CA certificate/);
});

test('help text includes examples', async () => {
  const program = new Command('imapdbg');
  registerCaCommand(program);
  const ca = program.commands.find((c) => c.name() === 'ca');
  assert.ok(ca);
  let help = '';
  ca.configureOutput({ writeOut: (s) => { help += s; } });
  ca.outputHelp();
  assert.match(help, /Examples:/);
  assert.match(help, /imapdbg ca export --out/);
  assert.deepEqual(ca.commands.map((c) => c.name()), ['init', 'show', 'export']);
});
