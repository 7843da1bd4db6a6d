import type { Annotation, Frame } from './frame';

interface PendingCommand {
  seq: number;
  verb: string;
  /** When the client finished sending the command (its last segment). */
  sentUs: number;
}

/**
 * Pairs each tagged response with its command (RFC 3501 2.2.2) and measures the latency from the
 * command's last byte to the response's first byte, in microseconds.
 */
export class CommandPairing {
  private readonly pending = new Map<string, PendingCommand>();

  /** Tags still waiting for their tagged response. */
  get pendingTags(): ReadonlyMap<string, Readonly<PendingCommand>> {
    return this.pending;
  }

  /** Observe a frame; returns the annotations it earns. */
  observe(frame: Frame): Annotation[] {
    if (frame.direction === 'client') {
      if (frame.tag === undefined) return [];
      if (frame.kind === 'command') {
        const reused = this.pending.get(frame.tag);
        this.pending.set(frame.tag, { seq: frame.seq, verb: frame.verb ?? '', sentUs: frame.endUs });
        if (reused) {
          return [{ kind: 'finding', finding: { level: 'warning', code: 'tag-reused', rfc: 'RFC 3501 2.2.1',
            message: `tag ${frame.tag} reused while command ${reused.verb} (frame ${reused.seq}) is still pending` } }];
        }
      } else if (frame.kind === 'command-continuation' || frame.kind === 'sasl') {
        const p = this.pending.get(frame.tag);
        if (p) p.sentUs = frame.endUs;
      }
      return [];
    }
    if (frame.kind !== 'tagged' || frame.tag === undefined) return [];
    const p = this.pending.get(frame.tag);
    if (!p) {
      return [{ kind: 'finding', finding: { level: 'error', code: 'unknown-tag', rfc: 'RFC 3501 2.2.2',
        message: `tagged response for ${frame.tag}, which no pending command carries` } }];
    }
    this.pending.delete(frame.tag);
    return [{ kind: 'pair', commandSeq: p.seq, command: p.verb, latencyUs: Math.max(0, frame.timeUs - p.sentUs) }];
  }
}
