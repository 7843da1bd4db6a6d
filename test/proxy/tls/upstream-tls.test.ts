// The server leg's verification and the client leg's leaves, against local Node TLS peers whose
// certificates come from a throw-away imapdbg CA; and the key log file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { initCa, type CaMaterial } from '../../../src/proxy/tls/ca-store';
import { acceptClientTls } from '../../../src/proxy/tls/client-tls';
import { KeyLog } from '../../../src/proxy/tls/keylog';
import { LeafFactory } from '../../../src/proxy/tls/leaf-factory';
import { connectUpstreamTls, upstreamTrustContext } from '../../../src/proxy/tls/upstream-tls';

let dir: string;
let ca: CaMaterial;
let leaves: LeafFactory;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-upstream-tls-'));
  ca = await initCa(path.join(dir, 'ca'));
  leaves = new LeafFactory(ca, { poolSize: 1 });
});
after(() => {
  leaves.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A TLS server for `names` that greets like IMAP; resolves with its port and a closer. */
async function tlsServer(names: string[]): Promise<{ port: number; close: () => Promise<void> }> {
  const leaf = await leaves.getLeaf({ upstreamSans: names });
  const server = tls.createServer({ key: leaf.keyPem, cert: leaf.chainPem }, (s) => { s.on('error', () => {}); s.end('* OK ready\r\n'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('upstream verdicts: untrusted issuer rejected, trusted via --upstream-ca verified, wrong name rejected, insecure recorded', async () => {
  const server = await tlsServer(['localhost', '127.0.0.1']);
  const other = await tlsServer(['imap.example.org']);
  try {
    const untrusted = await connectUpstreamTls({ host: '127.0.0.1', port: server.port }, upstreamTrustContext(undefined, false));
    untrusted.socket.destroy();
    assert.match(untrusted.rejected ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER/);
    assert.match(untrusted.info.verdict ?? '', /^rejected: /);

    const trusted = await connectUpstreamTls({ host: '127.0.0.1', port: server.port }, upstreamTrustContext(ca.certPath, false));
    trusted.socket.destroy();
    assert.equal(trusted.rejected, undefined);
    assert.equal(trusted.info.verdict, 'verified');
    assert.equal(trusted.info.peerIssuer, ca.x509.subject.split('\n').join(', '));
    assert.ok(trusted.sans.includes('DNS:localhost') && trusted.sans.includes('IP Address:127.0.0.1'), trusted.sans.join(','));

    const mismatch = await connectUpstreamTls({ host: '127.0.0.1', port: other.port }, upstreamTrustContext(ca.certPath, false));
    mismatch.socket.destroy();
    assert.match(mismatch.rejected ?? '', /host name does not match the certificate \(ERR_TLS_CERT_ALTNAME_INVALID\)/);

    const insecure = await connectUpstreamTls({ host: '127.0.0.1', port: other.port }, upstreamTrustContext(undefined, true));
    insecure.socket.destroy();
    assert.equal(insecure.rejected, undefined);
    assert.match(insecure.info.verdict ?? '', /^insecure \(not verified: /);
  } finally {
    await server.close();
    await other.close();
  }
});

test('no TLS at all (a plain IMAP server) rejects instead of hanging', async () => {
  // resume(): a server socket that never reads never sees the FIN, and close() would wait forever.
  const plain = net.createServer((s) => { s.resume(); s.end('* OK plain\r\n'); });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(connectUpstreamTls({ host: '127.0.0.1', port: (plain.address() as net.AddressInfo).port }, upstreamTrustContext(undefined, false)));
  } finally {
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  }
});

test('client leg: a leaf for the SNI the client sent; both legs\' secrets in the key log, mode 0600', async () => {
  const file = path.join(dir, 'keys.log');
  fs.writeFileSync(file, '', { mode: 0o644 });
  const keylog = new KeyLog(file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const accepted = new Promise<Awaited<ReturnType<typeof acceptClientTls>>>((resolve, reject) => {
    const server = net.createServer((raw) => {
      server.close();
      raw.pause();
      acceptClientTls(raw, leaves, { upstreamHost: '127.0.0.1', upstreamSans: [], extraNames: [] }, { keylog }).then(resolve, reject);
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const client = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'mail.example.net' });
      keylog.attach(client);
      client.on('error', () => {});
      client.once('secureConnect', () => client.end());
    });
  });
  const result = await accepted;
  result.socket.destroy();
  assert.equal(result.info.sni, 'mail.example.net');
  assert.ok(result.leafNames.includes('mail.example.net') && result.leafNames.includes('127.0.0.1'), result.leafNames.join(','));
  keylog.close();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  // One TLS 1.3 handshake seen from both ends: each secret appears twice, under one client random.
  assert.ok(lines.length >= 8, lines.join('\n'));
  assert.ok(lines.every((l) => /^[A-Z0-9_]+ [0-9a-f]{64} [0-9a-f]+$/.test(l)));
});

test('a client that does not trust the CA makes the handshake fail with a reason, not a hang', async () => {
  const failed = new Promise<Error>((resolve) => {
    const server = net.createServer((raw) => {
      server.close();
      raw.pause();
      acceptClientTls(raw, leaves, { upstreamHost: 'localhost' }).then(() => resolve(new Error('accepted')), resolve);
    });
    server.listen(0, '127.0.0.1', () => {
      const client = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, servername: 'localhost' });
      client.on('error', () => client.destroy());
    });
  });
  const err = await failed;
  assert.notEqual(err.message, 'accepted');
  assert.match(err.message, /alert|unknown ca|certificate|closed/i);
});
