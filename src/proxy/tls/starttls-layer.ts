/**
 * The client's STARTTLS, intercepted on both legs (RFC 3501 6.2.1): "TLS negotiation begins
 * immediately after the CRLF at the end of the tagged OK response from the server". imapdbg stops
 * reading the client right after its `STARTTLS` line, lets the server answer, and at the byte after
 * the server's tagged OK upgrades the server leg (TLS client), then the client leg (TLS server with
 * a leaf from the imapdbg CA). The session, its model and its frames go on over the new sockets.
 */
import type { Direction, Frame } from '../../imap/frame';
import { pairedCommand } from '../../imap/frame-facts';
import { printable } from '../../imap/frame-text';
import { maskClientBytes } from '../../imap/secret-mask';
import type { ProxySession, SessionLayer } from '../proxy-session';
import { abandon, type TlsInterception, type Upgrade } from './tls-interceptor';

/** The first byte of a TLS handshake record (RFC 8446 5.1, ContentType handshake = 22). */
const TLS_HANDSHAKE_RECORD = 0x16;
/** How much of injected bytes a finding quotes. */
const PREVIEW_BYTES = 200;
const PAUSE = 'starttls';

/**
 * Injected bytes as one printable line for a finding. A client's are framed as commands and their
 * secrets masked (`b LOGIN carol ********`): the finding goes to the capture, the headless view and
 * lint, where a password must not be; and then their count is left out, which would tell its length.
 */
export function preview(bytes: Buffer, from: Direction = 'server'): string {
  const shown = bytes.subarray(0, PREVIEW_BYTES);
  const masked = from === 'client' ? maskClientBytes(shown) : shown;
  const more = bytes.length > PREVIEW_BYTES ? '...' : '';
  const size = masked === shown ? `${bytes.length} bytes` : 'bytes (secrets masked)';
  return `${size}: "${printable(masked.toString('latin1'))}${more}"`;
}

type State =
  | { kind: 'plain' }
  /** The client sent STARTTLS; it is paused, `held` are the bytes that came after the line. */
  | { kind: 'awaiting-response'; tag: string | undefined; held: Buffer }
  | { kind: 'upgrading' }
  | { kind: 'tls' };

/** One per session: the boundaries are the client's STARTTLS line and the server's tagged answer. */
export class ClientStartTlsLayer implements SessionLayer {
  private state: State = { kind: 'plain' };

  constructor(private readonly tls: TlsInterception) {}

  isBoundary(frame: Frame): boolean {
    switch (this.state.kind) {
      case 'plain': return frame.direction === 'client' && frame.kind === 'command' && frame.verb === 'STARTTLS';
      case 'awaiting-response': return frame.direction === 'server' && frame.tag === this.state.tag && pairedCommand(frame) === 'STARTTLS';
      case 'upgrading':
      case 'tls': return false;
      default: {
        const never: never = this.state;
        return never;
      }
    }
  }

  handle(session: ProxySession, frame: Frame, direction: Direction, rest: Buffer): boolean {
    if (direction === 'client') {
      // Nothing the client sends after STARTTLS may reach the server before the answer: hold it.
      session.pause('client', PAUSE);
      this.state = { kind: 'awaiting-response', tag: frame.tag, held: Buffer.from(rest) };
      // Load (or create) the CA while the server answers: the client's leaf needs it next.
      this.tls.options.leaves().catch(() => undefined);
      return true;
    }
    if (this.state.kind !== 'awaiting-response') return false;
    const held = this.state.held;
    if (frame.verb !== 'OK') {
      // NO or BAD: still plain text. What the client pipelined is a plain command after all.
      this.state = { kind: 'plain' };
      if (held.length > 0) session.receive('client', held);
      session.resume('client', PAUSE);
      return false;
    }
    this.state = { kind: 'upgrading' };
    this.upgrade(session, rest, held).catch((err: unknown) => abandon(session, err));
    return true;
  }

  private async upgrade(session: ProxySession, serverRest: Buffer, clientHeld: Buffer): Promise<void> {
    const client = session.socket('client');
    const server = session.socket('server');
    if (!client || !server) return;
    session.pause('server', PAUSE);
    if (serverRest.length > 0) {
      this.tls.finding(session, 'starttls-response-injection',
        `server sent ${preview(serverRest)} after its tagged OK to STARTTLS, before the TLS handshake; not forwarded to the client`);
    }
    if (clientHeld.length > 0) {
      if (clientHeld[0] === TLS_HANDSHAKE_RECORD) {
        // A client that sent its ClientHello without waiting for the OK: hand it to TLS.
        client.unshift(clientHeld);
      } else {
        // CVE-2011-0411: replaying these inside TLS would make imapdbg itself the vulnerable server.
        this.tls.finding(session, 'starttls-command-injection',
          `client sent ${preview(clientHeld, 'client')} after "STARTTLS\\r\\n" in the same packet, before the TLS handshake; dropped, not forwarded into TLS`);
      }
    }
    session.detach('server');
    const up: Upgrade = {};
    this.tls.holdClient(session, up);
    await this.tls.upgradeServer(session, server, up);
    // The client left or reset, or imapdbg stopped, during the server's handshake: all released.
    if (session.over) return;
    if (!(await this.tls.upgradeClient(session, up))) return;
    if (up.serverProblem || !up.server) { this.tls.failServer(session, up); return; }
    session.replaceSocket('server', up.server.socket);
    this.state = { kind: 'tls' };
    session.resume('server', PAUSE);
    session.resume('client', PAUSE);
  }
}
