import type { CompiledFilter } from '../../imap/filter/filter-eval';
import type { FrameStore } from './frame-store';
import { ListCursor } from './list-cursor';

/**
 * The rows of the frames screen: the frames of one session (or of all), narrowed by the filter,
 * as indices into the store. New frames are appended as they arrive; the filter is evaluated once
 * per frame, never per render.
 */
export class FrameListView {
  rows: number[] = [];
  readonly cursor = new ListCursor();
  /** Keep the cursor on the newest frame as frames arrive. */
  following: boolean;
  private filter: CompiledFilter | undefined;

  constructor(private readonly store: FrameStore, readonly session: number | undefined, following: boolean) {
    this.following = following;
    this.rebuild();
    if (following) this.cursor.end(this.rows.length);
  }

  /** The filter in force (undefined: none). */
  get activeFilter(): CompiledFilter | undefined {
    return this.filter;
  }

  /** Replace the filter and recompute the rows, keeping the cursor on the same frame or the nearest one before it. */
  setFilter(filter: CompiledFilter | undefined): void {
    this.filter = filter && filter.ok && !filter.matchesAll ? filter : undefined;
    const current = this.rows[this.cursor.cursor];
    this.rebuild();
    if (this.following) {
      this.cursor.end(this.rows.length);
    } else if (current !== undefined) {
      this.cursor.jump(Math.max(0, upperBound(this.rows, current) - 1), this.rows.length);
    } else {
      this.cursor.fit(this.rows.length);
    }
  }

  /** A frame was added to the store. */
  added(index: number): void {
    if (this.session !== undefined && this.store.frame(index).session !== this.session) return;
    if (!this.accepts(index)) return;
    this.rows.push(index);
    if (this.following) this.cursor.end(this.rows.length);
  }

  /** Store index of the frame under the cursor. */
  get selected(): number | undefined {
    return this.rows[this.cursor.cursor];
  }

  /** Move the cursor to a store index if that frame is listed. */
  select(index: number): boolean {
    const row = lowerBound(this.rows, index);
    if (this.rows[row] !== index) return false;
    this.cursor.jump(row, this.rows.length);
    return true;
  }

  private rebuild(): void {
    const source = this.session === undefined ? undefined : this.store.sessionFrames(this.session);
    const rows: number[] = [];
    const count = source ? source.length : this.store.size;
    for (let i = 0; i < count; i++) {
      const index = source ? source[i] : i;
      if (this.accepts(index)) rows.push(index);
    }
    this.rows = rows;
  }

  private accepts(index: number): boolean {
    const f = this.filter;
    if (!f || !f.ok) return true;
    const store = this.store;
    return f.matches({ frame: store.frame(index), inIdle: store.band(index) !== undefined, text: () => store.text(index) });
  }
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}
