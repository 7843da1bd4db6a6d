// Issue 9 item 1, the STARTTLS path: a client that closes right after `OK Begin TLS` (it never
// starts its handshake) must not leave its sockets or its upstream connection open, and the
// proxy must still stop on SIGINT. The real bin/imapdbg against a counting fake upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { pollUntil, probe, sessionClosedLines, startRig } from './sockets-rig';

/** Read the greeting, send STARTTLS, and close as soon as the OK arrives. */
function leaveAfterBeginTls(socket: Socket): void {
  let text = '';
  let sent = false;
  socket.setEncoding('latin1').on('data', (d: string) => {
    text += d;
    if (!sent && text.includes('\r\n')) { sent = true; socket.write('a STARTTLS\r\n'); }
    if (text.includes('a OK Begin TLS\r\n')) socket.end();
  });
}

test('20 clients that close after OK Begin TLS: the proxy\'s fds come back, every upstream connection is closed, SIGINT exits 0', async () => {
  const rig = await startRig([]);
  try {
    // One client first, so that the CA (created on the first STARTTLS) and lazily opened files are in the baseline.
    await probe(rig.proxy.port, leaveAfterBeginTls);
    assert.ok(await pollUntil(() => rig.upstream.accepted === 1 && rig.upstream.open === 0));
    assert.ok(await pollUntil(() => sessionClosedLines(rig.proxy.stdout()).length === 1), rig.proxy.stdout());
    const before = rig.fds();
    await Promise.all(Array.from({ length: 20 }, () => probe(rig.proxy.port, leaveAfterBeginTls)));
    assert.ok(await pollUntil(() => rig.upstream.accepted === 21 && rig.upstream.open === 0),
      `upstream connections accepted ${rig.upstream.accepted}, still open ${rig.upstream.open}`);
    assert.ok(await pollUntil(() => sessionClosedLines(rig.proxy.stdout()).length === 21), rig.proxy.stdout());
    assert.ok(await pollUntil(() => rig.fds() <= before), `fds before ${before}, now ${rig.fds()}`);
    // Each session ended because its client left (not at the handshake bound, 30 s later).
    for (const line of sessionClosedLines(rig.proxy.stdout())) {
      assert.match(line, /client TLS handshake failed: the client closed the connection (before|during) the TLS handshake.*frames$/);
    }
    assert.equal(await rig.interrupt(), 0, rig.proxy.stderr());
  } finally {
    await rig.close();
  }
});
