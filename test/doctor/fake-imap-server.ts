// A small scripted IMAP server over loopback for doctor's hostile cases: it answers like a
// well-behaved server unless a test overrides how it answers a command or DONE.
import * as net from 'node:net';

/** One connection as a test's handler sees it. */
export interface FakeConnection {
  socket: net.Socket;
  /** Number of this connection, from 1. */
  id: number;
  /** The tag of the IDLE in progress, if any. */
  idleTag?: string;
  send(text: string): void;
}

export interface FakeBehaviour {
  greeting?: string;
  /** Answer a command; return false to get the default answer. */
  command?(c: FakeConnection, tag: string, verb: string, line: string): boolean;
  /** Called when IDLE has been accepted ("+ idling" sent). */
  idling?(c: FakeConnection): void;
}

const CAPS = 'IMAP4rev1 IDLE UIDPLUS LITERAL+';

function defaultAnswer(c: FakeConnection, tag: string, verb: string, b: FakeBehaviour): void {
  switch (verb) {
    case 'CAPABILITY': c.send(`* CAPABILITY ${CAPS}\r\n${tag} OK done\r\n`); return;
    case 'LOGIN': c.send(`${tag} OK logged in\r\n`); return;
    case 'SELECT': c.send(`* 0 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n${tag} OK [READ-WRITE] selected\r\n`); return;
    case 'LIST': c.send(`* LIST () "/" INBOX\r\n${tag} OK listed\r\n`); return;
    case 'IDLE': c.idleTag = tag; c.send('+ idling\r\n'); b.idling?.(c); return;
    case 'LOGOUT': c.send(`* BYE bye\r\n${tag} OK bye\r\n`); c.socket.end(); return;
    default: c.send(`${tag} OK done\r\n`);
  }
}

/** Starts the server on a free loopback port. */
export async function startFakeServer(behaviour: FakeBehaviour): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let next = 1;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const c: FakeConnection = { socket, id: next++, send: (t) => { if (!socket.destroyed) socket.write(t, 'latin1'); } };
    c.send(behaviour.greeting ?? '* OK fake IMAP ready\r\n');
    let buffered = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      buffered += chunk;
      let lf: number;
      while ((lf = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, lf).replace(/\r$/, '');
        buffered = buffered.slice(lf + 1);
        if (c.idleTag !== undefined && line.toUpperCase() === 'DONE') {
          const tag = c.idleTag;
          c.idleTag = undefined;
          if (!behaviour.command?.(c, tag, 'DONE', line)) c.send(`${tag} OK idle done\r\n`);
          continue;
        }
        const [tag, verb = ''] = line.split(' ');
        if (!behaviour.command?.(c, tag, verb.toUpperCase(), line)) defaultAnswer(c, tag, verb.toUpperCase(), behaviour);
      }
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
