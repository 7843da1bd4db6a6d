/**
 * Cursor and scroll position of a list that shows `height` rows at a time. Only the visible window
 * is ever rendered, so a list of 100,000 rows costs what a list of 24 does.
 */
export class ListCursor {
  cursor = 0;
  top = 0;
  height = 1;

  /** Clamp after the list or the window changed size, and keep the cursor visible. */
  fit(count: number, height = this.height): void {
    this.height = Math.max(1, height);
    this.cursor = count === 0 ? 0 : Math.min(Math.max(0, this.cursor), count - 1);
    if (this.cursor < this.top) this.top = this.cursor;
    if (this.cursor >= this.top + this.height) this.top = this.cursor - this.height + 1;
    this.top = Math.max(0, Math.min(this.top, Math.max(0, count - this.height)));
  }

  move(delta: number, count: number): void {
    this.cursor += delta;
    this.fit(count);
  }

  page(direction: 1 | -1, count: number): void {
    this.cursor += direction * Math.max(1, this.height - 1);
    this.top += direction * Math.max(1, this.height - 1);
    this.fit(count);
  }

  home(count: number): void {
    this.cursor = 0;
    this.fit(count);
  }

  end(count: number): void {
    this.cursor = count - 1;
    this.fit(count);
  }

  /** Put the cursor on a row, scrolling as little as possible. */
  jump(row: number, count: number): void {
    this.cursor = row;
    this.fit(count);
  }

  /** The rows to draw: [top, top + height) clipped to the list. */
  visible(count: number): { from: number; to: number } {
    return { from: this.top, to: Math.min(count, this.top + this.height) };
  }
}
