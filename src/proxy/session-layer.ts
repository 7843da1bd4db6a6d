import type { Direction, Frame } from '../imap/frame';
import type { RuleCode } from '../imap/lint/rule-catalog';

/**
 * What a byte layer (STARTTLS, COMPRESS) asks of its session at a boundary frame. Layers decide;
 * ProxySession carries the commands out, in order. Layers never touch sockets, so they are tested
 * with framed transcripts alone.
 */
export type LayerCommand =
  | { kind: 'pause'; direction: Direction; reason: string }
  | { kind: 'resume'; direction: Direction; reason: string }
  /** Frame these bytes as ordinary traffic of `direction` (bytes a layer held and gives back). */
  | { kind: 'receive'; direction: Direction; bytes: Buffer }
  /** Get TLS ready (load or create the CA) while the server answers the client's STARTTLS. */
  | { kind: 'prepare-tls' }
  /**
   * The server said OK to the client's STARTTLS: upgrade both legs. `serverRest` came after the OK
   * in the same read (a response injection), `clientHeld` after the client's STARTTLS line.
   */
  | { kind: 'starttls'; serverRest: Buffer; clientHeld: Buffer }
  /** imapdbg's own STARTTLS with the server after its greeting (`--upstream-starttls`). */
  | { kind: 'upstream-starttls'; serverRest: Buffer }
  /** Both directions carry DEFLATE from here (COMPRESS): forward them as they are, inflate a copy for the model. */
  | { kind: 'inflate' }
  /** End the session with an IMAP BYE to the client: the server leg cannot be used. */
  | { kind: 'fail'; message: string; code: RuleCode };

/** A layer's answer at its boundary: whether it took the rest of the chunk, and what to do. */
export interface LayerDecision {
  /** True when the layer took `rest` (held it or handed it on in a command); false to frame it as before. */
  consumed: boolean;
  commands: LayerCommand[];
}

/**
 * A change of byte layer after a frame: STARTTLS's or COMPRESS's tagged OK (RFC 3501 6.2.1,
 * RFC 4978). The model stops at the boundary frame so the layer can take over at that exact byte.
 */
export interface SessionLayer {
  /** True for the frame after which this layer changes the byte stream. */
  isBoundary(frame: Frame): boolean;
  /** Decide at the boundary frame; `rest` holds the bytes of the same chunk after it. */
  atBoundary(frame: Frame, direction: Direction, rest: Buffer): LayerDecision;
}
