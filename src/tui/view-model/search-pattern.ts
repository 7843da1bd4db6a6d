/** A `/` search: plain text (case-insensitive) or a /regex/flags; an error value when the regex is bad. */
export type SearchPattern =
  | { ok: true; source: string; test: (text: string) => boolean }
  | { ok: false; source: string; message: string };

/** Compile what the user typed after `/`. */
export function compileSearch(source: string): SearchPattern {
  const m = /^\/(.*)\/([a-z]*)$/.exec(source);
  if (m) {
    try {
      const re = new RegExp(m[1], m[2].replace(/[gy]/g, ''));
      return { ok: true, source, test: (t) => re.test(t) };
    } catch (err) {
      return { ok: false, source, message: `bad regex: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` };
    }
  }
  const needle = source.toLowerCase();
  return { ok: true, source, test: (t) => t.toLowerCase().includes(needle) };
}

/**
 * The next row after `from` (or before it, going back) whose text matches, wrapping around once;
 * undefined when no row matches.
 */
export function findRow(count: number, from: number, direction: 1 | -1, text: (row: number) => string,
  test: (text: string) => boolean): number | undefined {
  for (let step = 1; step <= count; step++) {
    const row = (((from + direction * step) % count) + count) % count;
    if (test(text(row))) return row;
  }
  return undefined;
}
