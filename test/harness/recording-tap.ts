// A plain TCP relay that records what each side sent, for checking "the bytes each peer saw"
// independently of the proxy under test: client -> tap -> imapdbg, or imapdbg -> tap -> Dovecot.
import * as net from 'node:net';

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
export async function startRecordingTap(targetPort: number, targetHost = '127.0.0.1'): Promise<RecordingTap> {
  const connections: TapRecording[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const rec: TapRecording = { fromClient: [], fromServer: [] };
    connections.push(rec);
    const upstream = net.connect({ port: targetPort, host: targetHost, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.on('data', (d: Buffer) => { rec.fromClient.push(Buffer.from(d)); upstream.write(d); });
    upstream.on('data', (d: Buffer) => { rec.fromServer.push(Buffer.from(d)); client.write(d); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
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
