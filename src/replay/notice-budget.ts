/**
 * Rate-limits one connection's notices (unmatched commands, unparsable lines) so that a client
 * sending millions of bad lines cannot turn into millions of stderr lines. The first `shown`
 * notices are printed; after that only counts are, at each power of ten (10, 100, 1000 ... more)
 * and once at the end: the output is logarithmic in the number of notices.
 */
export class NoticeBudget {
  private count = 0;
  private nextMilestone = 10;

  constructor(
    private readonly prefix: string,
    private readonly log: (line: string) => void,
    private readonly shown = 10,
  ) {}

  /** Notices not printed so far. */
  get suppressed(): number {
    return Math.max(0, this.count - this.shown);
  }

  /** `text` is built only when it will be printed: the notice text of a huge frame costs work. */
  notice(text: () => string): void {
    this.count += 1;
    if (this.count <= this.shown) {
      this.log(`${this.prefix} ${text()}`);
      if (this.count === this.shown) this.log(`${this.prefix} (further notices of this connection are counted, not shown)`);
      return;
    }
    if (this.suppressed === this.nextMilestone) {
      this.log(`${this.prefix} ${this.suppressed} more unmatched lines so far`);
      this.nextMilestone *= 10;
    }
  }

  /** The connection ended: the total of what was not shown, if anything. */
  finish(): void {
    if (this.suppressed > 0) this.log(`${this.prefix} ${this.suppressed} more unmatched lines not shown`);
  }
}
