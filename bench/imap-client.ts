/** The benchmark's IMAP client side: just enough protocol to time the fake server's answers. */
import { connect, type Socket } from 'node:net';

/** Connect and wait for the greeting (one `* OK ...` line). */
export function openConnection(port: number, timeoutMs = 30_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`no greeting from port ${port} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.on('data', function onData(d: Buffer) {
      seen += d.toString('latin1');
      if (!seen.includes('\r\n')) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      if (!seen.startsWith('* OK')) { fail(new Error(`unexpected greeting: ${JSON.stringify(seen.slice(0, 80))}`)); return; }
      if (seen.indexOf('\r\n') !== seen.length - 2) { fail(new Error('bytes after the greeting')); return; }
      socket.on('error', () => { /* reported by the operation that uses the socket */ });
      resolve(socket);
    });
  });
}

/** Close politely and wait for the socket to go away. */
export function closeConnection(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) { resolve(); return; }
    socket.once('close', () => resolve());
    socket.removeAllListeners('data');
    socket.resume();
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

export interface TransferResult {
  /** Bytes of the literal body. */
  literalBytes: number;
  /** Bytes received from sending the command to the tagged OK, inclusive. */
  totalBytes: number;
  seconds: number;
}

/**
 * Send `TAG FETCH 1 BODY[]`, read until the tagged OK and discard. The literal's size comes from
 * its announcement; the end is found by count (bytes inside the literal are never searched).
 */
export function fetchLiteral(socket: Socket, tag: string): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const trailer = `)\r\n${tag} OK done\r\n`;
    let head = '';
    let expected = -1;
    let literalBytes = 0;
    let received = 0;
    let tail: Buffer = Buffer.alloc(0);
    const start = process.hrtime.bigint();
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (expected === -1) {
        head += chunk.toString('latin1', 0, Math.min(chunk.length, 200));
        const m = /^\* 1 FETCH \(BODY\[\] \{(\d+)\}\r\n/.exec(head);
        if (m) {
          literalBytes = Number(m[1]);
          expected = m[0].length + literalBytes + trailer.length;
        } else if (head.length > 200 || head.includes('\r\n')) {
          done(new Error(`unexpected FETCH response: ${JSON.stringify(head.slice(0, 80))}`));
          return;
        }
      }
      tail = chunk.length >= 64 ? chunk.subarray(chunk.length - 64) : Buffer.concat([tail, chunk]).subarray(-64);
      if (expected !== -1 && received >= expected) {
        if (received > expected || !tail.toString('latin1').endsWith(trailer)) {
          done(new Error(`FETCH ended badly: ${received} of ${expected} bytes, tail ${JSON.stringify(tail.toString('latin1'))}`));
        } else {
          done(undefined);
        }
      }
    };
    const onClose = (): void => done(new Error(`connection closed after ${received} bytes of the FETCH response`));
    const done = (err: Error | undefined): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) { reject(err); return; }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      resolve({ literalBytes, totalBytes: received, seconds });
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(`${tag} FETCH 1 BODY[]\r\n`);
  });
}

/** Send `TAG XLINE` and read the long line and the tagged OK; returns the bytes received. */
export function fetchLongLine(socket: Socket, tag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const end = `\r\n${tag} OK done\r\n`;
    let received = 0;
    let tail = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 64))).slice(-64);
      if (tail.endsWith(end)) { cleanup(); resolve(received); }
    };
    const onClose = (): void => { cleanup(); reject(new Error(`connection closed after ${received} bytes of the long line`)); };
    const cleanup = (): void => { socket.off('data', onData); socket.off('close', onClose); };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(`${tag} XLINE\r\n`);
  });
}

/**
 * `count` sequential NOOP round trips; returns each one's time in µs (send to the tagged OK's CRLF).
 * A callback loop, no promise per round trip, so the client adds as little as it can.
 */
export function noopRoundTrips(socket: Socket, count: number, tagPrefix: string): Promise<Float64Array> {
  return new Promise((resolve, reject) => {
    const times = new Float64Array(count);
    let i = 0;
    let buf = '';
    let expect = '';
    let t0 = 0n;
    const send = (): void => {
      const tag = `${tagPrefix}${i}`;
      expect = `${tag} OK NOOP completed\r\n`;
      buf = '';
      t0 = process.hrtime.bigint();
      socket.write(`${tag} NOOP\r\n`);
    };
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('latin1');
      if (!buf.endsWith('\r\n')) return;
      if (buf !== expect) {
        if (buf.length > expect.length || !expect.startsWith(buf)) {
          cleanup();
          reject(new Error(`unexpected NOOP answer: ${JSON.stringify(buf.slice(0, 80))}`));
        }
        return;
      }
      times[i] = Number(process.hrtime.bigint() - t0) / 1000;
      i += 1;
      if (i === count) { cleanup(); resolve(times); return; }
      send();
    };
    const onClose = (): void => { cleanup(); reject(new Error(`connection closed after ${i} NOOPs`)); };
    const cleanup = (): void => { socket.off('data', onData); socket.off('close', onClose); };
    socket.on('data', onData);
    socket.on('close', onClose);
    send();
  });
}

/** Send `TAG IDLE` and wait for the continuation request (`+ ...`). */
export function enterIdle(socket: Socket, tag: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no + for ${tag} IDLE within ${timeoutMs} ms`)); }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('latin1');
      if (!buf.includes('\r\n')) return;
      cleanup();
      if (buf.startsWith('+')) resolve();
      else reject(new Error(`unexpected IDLE answer: ${JSON.stringify(buf.slice(0, 80))}`));
    };
    const onClose = (): void => { cleanup(); reject(new Error(`connection closed before ${tag} IDLE got +`)); };
    const cleanup = (): void => { clearTimeout(timer); socket.off('data', onData); socket.off('close', onClose); };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(`${tag} IDLE\r\n`);
  });
}
