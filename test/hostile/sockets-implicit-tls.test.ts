// Issue 9 item 1, `--tls` with a plain upstream: clients that never complete their TLS handshake
// (plain text, a FIN, silence) must not leave their upstream connection or their own socket open,
// a server reset during the handshake must not crash the proxy, and SIGINT must end the process.
// The real bin/imapdbg against a fake upstream that counts the connections it sees closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { GREETING } from '../harness/counting-upstream';
import { pollUntil, probe, sessionClosedLines, sleep, startRig, tlsFirstLine } from './sockets-rig';

test('a plain client on --tls: its upstream connection is closed, the session line is one line, the proxy serves the next client', async () => {
  const rig = await startRig(['--tls']);
  try {
    await probe(rig.proxy.port, (s) => { s.resume(); s.write('a1 NOOP\r\n'); });
    assert.ok(await pollUntil(() => rig.upstream.accepted === 1 && rig.upstream.open === 0),
      `upstream connections accepted ${rig.upstream.accepted}, still open ${rig.upstream.open}`);
    assert.ok(await pollUntil(() => sessionClosedLines(rig.proxy.stdout()).length === 1), rig.proxy.stdout());
    // OpenSSL's message ends in a newline: the session line must still end with its byte counts.
    const [line] = sessionClosedLines(rig.proxy.stdout());
    assert.match(line ?? '', /client TLS handshake failed: .*wrong version number.*: 0 bytes from client, 0 from server, 0 frames$/);
    assert.equal(await tlsFirstLine(rig.proxy.port, rig.caDir), GREETING);
    assert.equal(await rig.interrupt(), 0, rig.proxy.stderr());
  } finally {
    await rig.close();
  }
});

/** The start of a TLS handshake record (ContentType 22, TLS 1.0, a length) with the body cut short. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

test('50 connect-and-close probes on --tls (half of them mid-ClientHello): the proxy\'s fds come back and every upstream connection is closed; SIGINT exits 0', async () => {
  const rig = await startRig(['--tls']);
  try {
    // One full session first, so that lazily opened descriptors are in the baseline.
    assert.equal(await tlsFirstLine(rig.proxy.port, rig.caDir), GREETING);
    assert.ok(await pollUntil(() => rig.upstream.open === 0));
    const before = rig.fds();
    for (let i = 0; i < 5; i++) {
      await Promise.all(Array.from({ length: 10 }, (_, n) => probe(rig.proxy.port, (s) => (n % 2 === 0 ? s.end() : s.end(PARTIAL_CLIENT_HELLO)))));
    }
    assert.ok(await pollUntil(() => rig.upstream.accepted === 51 && rig.upstream.open === 0),
      `upstream connections accepted ${rig.upstream.accepted}, still open ${rig.upstream.open}`);
    assert.ok(await pollUntil(() => rig.fds() <= before), `fds before ${before}, now ${rig.fds()}`);
    assert.ok(await pollUntil(() => sessionClosedLines(rig.proxy.stdout()).length === 51), rig.proxy.stdout());
    assert.equal(await rig.interrupt(), 0, rig.proxy.stderr());
  } finally {
    await rig.close();
  }
});

test('a server reset while the client is silent in its handshake: no crash; the client then gets a BYE over TLS; the next client is served', async () => {
  const rig = await startRig(['--tls'], { resetAfterMs: 300 });
  try {
    const silent = connect({ port: rig.proxy.port, host: '127.0.0.1' });
    silent.on('error', () => undefined);
    // The reset has happened when the fake server saw its connection closed.
    assert.ok(await pollUntil(() => rig.upstream.accepted === 1 && rig.upstream.open === 0));
    await sleep(200);
    assert.equal(rig.proxy.child.exitCode, null, `the proxy died: ${rig.proxy.stderr()}`);
    silent.destroy();
    // A client that completes its handshake after the reset learns why in IMAP.
    const first = await tlsFirstLine(rig.proxy.port, rig.caDir);
    // Either the reset came first (a BYE) or the greeting did: both are a served client.
    assert.match(first, /^\* (BYE \[UNAVAILABLE\] imapdbg: the server connection failed before the session started: ECONNRESET|OK \[CAPABILITY)/);
    assert.equal(rig.proxy.child.exitCode, null, rig.proxy.stderr());
    assert.doesNotMatch(rig.proxy.stderr(), /Unhandled|Error:/);
    assert.ok(await pollUntil(() => rig.upstream.open === 0));
    assert.equal(await rig.interrupt(), 0, rig.proxy.stderr());
  } finally {
    await rig.close();
  }
});

test('--handshake-timeout: a client that connects and says nothing loses its upstream connection after the bound', async () => {
  const rig = await startRig(['--tls', '--handshake-timeout', '1']);
  try {
    const closed = probe(rig.proxy.port, () => undefined);
    await closed;
    assert.ok(await pollUntil(() => rig.upstream.accepted === 1 && rig.upstream.open === 0));
    assert.ok(await pollUntil(() => sessionClosedLines(rig.proxy.stdout()).length === 1), rig.proxy.stdout());
    assert.match(sessionClosedLines(rig.proxy.stdout())[0] ?? '', /no TLS handshake within 1 s/);
    assert.equal(await rig.interrupt(), 0, rig.proxy.stderr());
  } finally {
    await rig.close();
  }
});

test('SIGINT while a client sits in its TLS handshake: the process exits 0', async () => {
  const rig = await startRig(['--tls']);
  try {
    const silent = connect({ port: rig.proxy.port, host: '127.0.0.1' });
    silent.on('error', () => undefined);
    assert.ok(await pollUntil(() => rig.upstream.accepted === 1));
    assert.equal(await rig.interrupt(), 0, rig.proxy.stderr());
    assert.ok(await pollUntil(() => rig.upstream.open === 0));
    silent.destroy();
  } finally {
    await rig.close();
  }
});
