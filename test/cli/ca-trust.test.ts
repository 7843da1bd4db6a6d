import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runImapdbg } from '../harness/imapdbg-process';

let dir: string;
let caDir: string;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-ca-trust-'));
  caDir = path.join(dir, 'ca dir');
  const r = await runImapdbg(['ca', 'init', '--ca-dir', caDir]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('ca show: per-client trust steps, with the certificate path quoted', async () => {
  const r = await runImapdbg(['ca', 'show', '--ca-dir', caDir]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.toString();
  const cert = JSON.stringify(path.join(caDir, 'ca-cert.pem'));
  for (const expected of [
    /Thunderbird[\s\S]*Manage Certificates >\s+Authorities > Import/,
    new RegExp(`cp ${escape(cert)} /usr/local/share/ca-certificates/imapdbg\\.crt && update-ca-certificates`),
    new RegExp(`security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System\\.keychain ${escape(cert)}`),
    new RegExp(`certutil -addstore Root ${escape(cert)}`),
    new RegExp(`NODE_EXTRA_CA_CERTS=${escape(cert)}`),
    new RegExp(`ssl\\.create_default_context\\(cafile=${escape(cert)}\\)`),
    new RegExp(`curl --cacert ${escape(cert)}`),
    /ca export --format der/,
  ]) assert.match(out, expected);
});

test('ca export: PEM by default, DER with --format der (the same certificate), an unknown format exits 2', async () => {
  const pem = await runImapdbg(['ca', 'export', '--ca-dir', caDir]);
  assert.equal(pem.code, 0, pem.stderr);
  assert.match(pem.stdout.toString(), /^-----BEGIN CERTIFICATE-----/);
  const der = await runImapdbg(['ca', 'export', '--ca-dir', caDir, '--format', 'der']);
  assert.equal(der.code, 0, der.stderr);
  assert.equal(der.stdout[0], 0x30, 'DER starts with a SEQUENCE');
  assert.equal(new X509Certificate(der.stdout).fingerprint256, new X509Certificate(pem.stdout).fingerprint256);
  const out = path.join(dir, 'ca.der');
  const file = await runImapdbg(['ca', 'export', '--ca-dir', caDir, '--format', 'DER', '--out', out]);
  assert.equal(file.code, 0, file.stderr);
  assert.deepEqual(fs.readFileSync(out), der.stdout);
  const bad = await runImapdbg(['ca', 'export', '--ca-dir', caDir, '--format', 'p12']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown export format "p12": use pem or der\./);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
