/**
 * `--keylog FILE`: the TLS secrets of both legs in the NSS key log format (SSLKEYLOGFILE), so that
 * Wireshark can decrypt a packet capture of either leg (client <-> imapdbg or imapdbg <-> server).
 * Node emits one line per secret ('keylog' event): `CLIENT_RANDOM <random> <secret>` for TLS 1.2,
 * `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_TRAFFIC_SECRET_0`... for TLS 1.3.
 */
import * as fs from 'node:fs';
import type { TLSSocket } from 'node:tls';

/** Appends key log lines of every TLS socket it is attached to; the file is kept at mode 0600. */
export class KeyLog {
  private fd: number | undefined;
  /** Lines written so far (tests and the shutdown message). */
  lines = 0;
  /** Why writing stopped (a full disk), if it did. */
  error: string | undefined;

  /** Opens (creates or appends to) the file; throws a one-line Error when it cannot. */
  constructor(readonly file: string) {
    try {
      this.fd = fs.openSync(file, 'a', 0o600);
      // An existing file keeps its mode on open: these are session keys, so tighten it.
      fs.fchmodSync(this.fd, 0o600);
    } catch (err) {
      throw new Error(`cannot open key log ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  /**
   * Record this socket's secrets. Call before its handshake completes: Node enables the key log
   * callback only once a listener is there.
   */
  attach(socket: TLSSocket): void {
    socket.on('keylog', (line: Buffer) => this.write(line));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private write(line: Buffer): void {
    if (this.fd === undefined) return;
    // Synchronous: a handful of short lines per handshake, and a line must be on disk before the
    // user opens the capture in Wireshark. It runs in a socket's event: a failed write (a full
    // disk) stops the key log, never the proxy.
    try {
      fs.writeSync(this.fd, line);
      this.lines++;
    } catch (err) {
      this.error = `cannot write key log ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      const fd = this.fd;
      this.fd = undefined;
      try {
        fs.closeSync(fd);
      } catch {
        // The descriptor is what failed; nothing more to release.
      }
    }
  }
}
