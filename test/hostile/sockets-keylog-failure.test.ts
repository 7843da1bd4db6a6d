// A key log write that fails (a full disk, a descriptor gone) happens inside a TLS socket's
// 'keylog' event: it must stop the key log, not throw into the socket and crash the proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { KeyLog } from '../../src/proxy/tls/keylog';

test('a failing key log write stops the key log with a reason instead of throwing from the socket event', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-keylog-'));
  try {
    const log = new KeyLog(path.join(dir, 'keys.log'));
    const socket = new EventEmitter();
    log.attach(socket as unknown as TLSSocket);
    socket.emit('keylog', Buffer.from('CLIENT_RANDOM aa bb\n'));
    assert.equal(log.lines, 1);
    // Take the descriptor away behind the key log's back: the next write fails (EBADF).
    fs.closeSync((log as unknown as { fd: number }).fd);
    assert.doesNotThrow(() => socket.emit('keylog', Buffer.from('CLIENT_RANDOM cc dd\n')));
    assert.match(log.error ?? '', /cannot write key log .*EBADF/);
    assert.doesNotThrow(() => socket.emit('keylog', Buffer.from('CLIENT_RANDOM ee ff\n')));
    assert.equal(log.lines, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
