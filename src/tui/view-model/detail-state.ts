import type { ByteRange } from '../../capture/frame-bytes';
import type { Frame } from '../../imap/frame';
import type { ByteSource } from './byte-source';

/** Bytes of a literal shown in the detail pane at most; the rest is summarised. */
export const DETAIL_LITERAL_BYTES = 64 * 1024;

/** What the detail pane shows for the selected frame, filled in lazily. */
export interface DetailState {
  index: number;
  /** Per part of the frame: its bytes once fetched (a bounded prefix), undefined while loading or not needed. */
  bytes: Array<Buffer | undefined>;
  loading: boolean;
  error?: string;
  scroll: number;
  /** Line count of the last render, to clamp scrolling. */
  lines: number;
}

/**
 * Which parts of a frame need their bytes fetched: literals (the store keeps only a preview) and
 * lines cut short. Secret literals are never fetched unless secrets are revealed.
 */
export function rangesToFetch(frame: Frame, revealSecrets: boolean): Array<{ part: number; range: ByteRange }> {
  const secretLiterals = new Set(frame.secrets.filter((s) => 'literal' in s).map((s) => s.part));
  const out: Array<{ part: number; range: ByteRange }> = [];
  frame.parts.forEach((p, part) => {
    if (p.type === 'literal') {
      if (!revealSecrets && secretLiterals.has(part)) return;
      if (p.literal.received === 0) return;
      out.push({ part, range: { offset: p.literal.offset, length: Math.min(p.literal.received, DETAIL_LITERAL_BYTES) } });
    } else if (p.line.truncated) {
      out.push({ part, range: { offset: p.line.offset, length: Math.min(p.line.length, DETAIL_LITERAL_BYTES) } });
    }
  });
  return out;
}

/** Start loading the bytes for a detail; `done` is called when they are in (or failed). */
export function loadDetail(state: DetailState, frame: Frame, source: ByteSource | undefined, revealSecrets: boolean,
  done: () => void): void {
  const wanted = rangesToFetch(frame, revealSecrets);
  if (wanted.length === 0 || !source) return;
  state.loading = true;
  source.read(frame.session, frame.direction, wanted.map((w) => w.range)).then((got) => {
    wanted.forEach((w, i) => { state.bytes[w.part] = got[i]; });
  }, (err: unknown) => {
    state.error = `cannot read the bytes: ${(err as Error).message}`;
  }).finally(() => {
    state.loading = false;
    done();
  });
}
