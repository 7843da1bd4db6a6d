/**
 * Values by key (a command's tag), oldest first, for tables that nearly always hold one entry at a
 * time: the commands of a session waiting for their tagged response. The oldest entry lives in two
 * fields and the others in a Map, so that with one command at a time the Map stays empty: a V8 Map
 * emptied by `delete` allocates a new table, and that happened once per IMAP response.
 */
export class OldestFirstTable<V> {
  private oldestKey: string | undefined;
  private oldestValue: V | undefined;
  /** The entries after the oldest, in the order they were added (a Map iterates in insertion order). */
  private readonly younger = new Map<string, V>();

  get size(): number {
    return (this.oldestKey === undefined ? 0 : 1) + this.younger.size;
  }

  get(key: string): V | undefined {
    return key === this.oldestKey ? this.oldestValue : this.younger.get(key);
  }

  /** Adds `key` as the youngest entry; a key already held keeps its place and takes the new value. */
  set(key: string, value: V): void {
    // No oldest means no younger ones either: delete moves the next oldest into the fields.
    if (this.oldestKey === undefined) {
      this.oldestKey = key;
      this.oldestValue = value;
    } else if (key === this.oldestKey) {
      this.oldestValue = value;
    } else {
      this.younger.set(key, value);
    }
  }

  /** Removes `key`; returns its value, or undefined when it was not held. */
  delete(key: string): V | undefined {
    if (key !== this.oldestKey) {
      const value = this.younger.get(key);
      if (value !== undefined) this.younger.delete(key);
      return value;
    }
    const value = this.oldestValue;
    this.oldestKey = undefined;
    this.oldestValue = undefined;
    // The next oldest moves into the fields: the Map is touched only while commands overlap.
    if (this.younger.size > 0) {
      const [nextKey, nextValue] = this.younger.entries().next().value as [string, V];
      this.younger.delete(nextKey);
      this.oldestKey = nextKey;
      this.oldestValue = nextValue;
    }
    return value;
  }

  /** The oldest entry's key, if any. */
  get oldest(): string | undefined {
    return this.oldestKey;
  }
}
