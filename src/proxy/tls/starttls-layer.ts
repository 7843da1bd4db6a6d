/**
 * The client's STARTTLS, intercepted on both legs (RFC 3501 6.2.1): "TLS negotiation begins
 * immediately after the CRLF at the end of the tagged OK response from the server". At the
 * client's `STARTTLS` line the layer stops the client and holds what it sent after the line; at the
 * server's tagged OK it asks for the upgrade of both legs (TlsInterception.upgradeAfterStartTls
 * carries it out); at a NO or BAD it gives the held bytes back as plain commands.
 */
import type { Direction, Frame } from '../../imap/frame';
import { pairedCommand } from '../../imap/frame-facts';
import type { LayerDecision, SessionLayer } from '../session-layer';

/** The client's pause reason from its STARTTLS line until both legs are TLS. */
export const STARTTLS_PAUSE = 'starttls';

type State =
  | { kind: 'plain' }
  /** The client sent STARTTLS; it is paused, `held` are the bytes that came after the line. */
  | { kind: 'awaiting-response'; tag: string | undefined; held: Buffer }
  | { kind: 'tls' };

/** One per session: the boundaries are the client's STARTTLS line and the server's tagged answer. */
export class ClientStartTlsLayer implements SessionLayer {
  private state: State = { kind: 'plain' };

  isBoundary(frame: Frame): boolean {
    switch (this.state.kind) {
      case 'plain': return frame.direction === 'client' && frame.kind === 'command' && frame.verb === 'STARTTLS';
      case 'awaiting-response': return frame.direction === 'server' && frame.tag === this.state.tag && pairedCommand(frame) === 'STARTTLS';
      case 'tls': return false;
      default: {
        const never: never = this.state;
        return never;
      }
    }
  }

  atBoundary(frame: Frame, direction: Direction, rest: Buffer): LayerDecision {
    if (direction === 'client') {
      // Nothing the client sends after STARTTLS may reach the server before the answer: hold it.
      this.state = { kind: 'awaiting-response', tag: frame.tag, held: Buffer.from(rest) };
      return { consumed: true, commands: [{ kind: 'pause', direction: 'client', reason: STARTTLS_PAUSE }, { kind: 'prepare-tls' }] };
    }
    if (this.state.kind !== 'awaiting-response') return { consumed: false, commands: [] };
    const held = this.state.held;
    if (frame.verb !== 'OK') {
      // NO or BAD: still plain text. What the client pipelined is a plain command after all.
      this.state = { kind: 'plain' };
      return { consumed: false, commands: [
        ...(held.length > 0 ? [{ kind: 'receive', direction: 'client', bytes: held } as const] : []),
        { kind: 'resume', direction: 'client', reason: STARTTLS_PAUSE },
      ] };
    }
    this.state = { kind: 'tls' };
    return { consumed: true, commands: [{ kind: 'starttls', serverRest: Buffer.from(rest), clientHeld: held }] };
  }
}
