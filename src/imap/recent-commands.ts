/**
 * The names of a session's most recent commands by frame sequence number, in a ring of fixed size:
 * the stats look one up only when imapdbg dropped a command (rare), but add one per command. A Map
 * that forgot its oldest entry per command rehashed into a new table every few hundred commands,
 * tables that outlived scavenges and needed mark-compacts (stop 16).
 */
export class RecentCommands {
  /** Grown as commands come, up to `capacity` (an idle session holds a few, not a full ring). */
  private readonly seqs: number[] = [];
  private readonly verbs: string[] = [];
  /** Where the next command goes once the ring is full: over the oldest. */
  private next = 0;

  constructor(private readonly capacity: number) {}

  /** Remembers a command frame, forgetting the oldest once `capacity` are held. */
  add(seq: number, verb: string): void {
    if (this.seqs.length < this.capacity) {
      this.seqs.push(seq);
      this.verbs.push(verb);
      return;
    }
    this.seqs[this.next] = seq;
    this.verbs[this.next] = verb;
    this.next = (this.next + 1) % this.capacity;
  }

  /** The name of the command frame with this sequence number, if it is among the remembered ones. */
  get(seq: number): string | undefined {
    const i = this.seqs.indexOf(seq);
    return i === -1 ? undefined : this.verbs[i];
  }
}
