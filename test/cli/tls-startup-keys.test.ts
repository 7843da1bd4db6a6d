// A plain proxy generates no RSA keys at start-up even when a CA exists (issue 10): stocking the
// key pool cost ~0.5-1 s of CPU in the first seconds of every plain run, on the forwarding path's cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto = require('node:crypto'); // the module object itself, so the spy below replaces what key-pool calls
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setUpTls, type TlsCliOptions } from '../../src/cli/tls-cli';
import { loadOrCreateCa } from '../../src/proxy/tls/ca-store';

const plain: TlsCliOptions = { tls: false, upstreamTls: false, upstreamStarttls: false, insecureUpstream: true };
const where = { upstream: { host: '127.0.0.1', port: 143 }, listen: { host: '127.0.0.1', port: 1143 } };

test('a plain proxy with an existing CA starts no RSA key generation until a STARTTLS', async () => {
  const caDir = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-ca-'));
  const real = crypto.generateKeyPair;
  let generated = 0;
  try {
    await loadOrCreateCa(caDir); // the CA exists, as after any earlier TLS run
    (crypto as { generateKeyPair: unknown }).generateKeyPair = (...args: unknown[]) => {
      generated++;
      return (real as (...a: unknown[]) => void)(...args);
    };
    const tls = await setUpTls({ ...plain, caDir }, where.upstream, where.listen, { handle: () => undefined });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(generated, 0, 'RSA keys generated at start-up of a plain proxy');
    tls.close();
  } finally {
    (crypto as { generateKeyPair: unknown }).generateKeyPair = real;
    rmSync(caDir, { recursive: true, force: true });
  }
});

test('an implicit-TLS proxy still loads its CA at start-up', async () => {
  const caDir = mkdtempSync(path.join(os.tmpdir(), 'imapdbg-ca-'));
  try {
    const tls = await setUpTls({ ...plain, tls: true, caDir }, where.upstream, where.listen, { handle: () => undefined });
    assert.match(tls.description, /client leg implicit TLS/);
    tls.close();
  } finally {
    rmSync(caDir, { recursive: true, force: true });
  }
});
