// A TCP relay that records what each side sent, for checking "the bytes each peer saw"
// independently of the proxy under test: client -> tap -> imapdbg, or imapdbg -> tap -> Dovecot.
// The TLS variants (test/e2e/tls-tap.ts) use the same relay with a TLS leg.
import * as net from 'node:net';
import * as tls from 'node:tls';

/** The bytes a tap saw, per direction, over all its connections in order. */
export interface TapRecording {
  /** Bytes the side that connected to the tap sent. */
  fromClient: Buffer[];
  /** Bytes the side the tap connects to sent. */
  fromServer: Buffer[];
}

export interface RecordingTap {
  port: number;
  /** One recording per accepted connection. */
  connections: TapRecording[];
  close(): Promise<void>;
}

/** Listen on 127.0.0.1:0 and relay each connection to `target`, recording both directions. */
export function startRecordingTap(targetPort: number, targetHost = '127.0.0.1'): Promise<RecordingTap> {
  return startRelay((onReady) => {
    const s = net.connect({ port: targetPort, host: targetHost, allowHalfOpen: true });
    s.once('connect', () => onReady());
    return s;
  }, undefined);
}

/**
 * The relay: for each accepted connection (TLS when `serverTls` is given) open the other leg with
 * `open`, hold the client until that leg is ready, then copy and record both ways, mirroring FIN.
 */
export async function startRelay(open: (onReady: () => void) => net.Socket, serverTls: { key: string; cert: string } | undefined): Promise<RecordingTap> {
  const connections: TapRecording[] = [];
  const sockets = new Set<net.Socket>();
  const onClient = (client: net.Socket): void => {
    const rec: TapRecording = { fromClient: [], fromServer: [] };
    connections.push(rec);
    client.pause();
    const upstream = open(() => client.resume());
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', (d: Buffer) => { rec.fromClient.push(Buffer.from(d)); upstream.write(d); });
    upstream.on('data', (d: Buffer) => { rec.fromServer.push(Buffer.from(d)); client.write(d); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  };
  const server = serverTls ? tls.createServer(serverTls, onClient) : net.createServer({ allowHalfOpen: true }, onClient);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    connections,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
