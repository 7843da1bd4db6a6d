/**
 * A big pcapng capture recorded through the proxy, for the readers' and the viewer's figures: small
 * sessions (a few NOOPs each), then one session fetching big literals, then more small sessions. The
 * fake IMAP server and the recording proxy are child processes (bench/fake-imap-server.ts,
 * bench/pcapng-proxy.ts); the file is left where the caller asked (keep it out of the repository).
 */
import * as path from 'node:path';
import { statSync } from 'node:fs';
import { closeConnection, fetchLiteral, noopRoundTrips, openConnection } from './imap-client';
import { spawnReady } from './proc';

export interface BigCaptureShape {
  /** Bytes of each literal of the big session. */
  literalBytes: number;
  /** Literals fetched by the big session (its capture share is about literals x literalBytes). */
  literals: number;
  /** Small sessions before and after the big one (each half). */
  smallSessions: number;
  /** NOOP round trips per small session. */
  noops: number;
}

export const GIB_CAPTURE: BigCaptureShape = { literalBytes: 512 * 1024 * 1024, literals: 2, smallSessions: 40, noops: 20 };

async function smallSessions(port: number, count: number, noops: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = await openConnection(port);
    await noopRoundTrips(socket, noops, `${prefix}${i}n`);
    await closeConnection(socket);
  }
}

/** Records the capture into `file`; resolves with its size in bytes. */
export async function recordBigCapture(file: string, shape: BigCaptureShape): Promise<number> {
  const server = await spawnReady('fake IMAP server', process.execPath,
    [path.join(__dirname, 'fake-imap-server.js'), '--literal-bytes', String(shape.literalBytes), '--line-bytes', '1024'],
    { announce: { stream: 'stdout', pattern: /listening (\d+)/ } });
  try {
    const proxy = await spawnReady('pcapng proxy', process.execPath, [path.join(__dirname, 'pcapng-proxy.js'), '--upstream', String(server.port), '--record', file],
      { announce: { stream: 'stderr', pattern: /listening on 127\.0\.0\.1:(\d+)/ } });
    try {
      const half = Math.floor(shape.smallSessions / 2);
      await smallSessions(proxy.port, half, shape.noops, 'a');
      const big = await openConnection(proxy.port);
      for (let i = 0; i < shape.literals; i++) await fetchLiteral(big, `f${i}`);
      await closeConnection(big);
      await smallSessions(proxy.port, shape.smallSessions - half, shape.noops, 'b');
    } finally {
      await proxy.stop();
    }
  } finally {
    await server.stop();
  }
  return statSync(file).size;
}
