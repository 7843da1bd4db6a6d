// Line reading for raw-socket IMAP tests.
//
// Each stream gets one permanent 'data' listener that splits input into CRLF/LF-terminated lines
// and queues them, so bytes that arrive after a matched line are kept for the next readUntil
// call instead of being lost between calls. Bytes are decoded as latin1: one char per byte, so a
// multi-byte character split across chunks cannot be corrupted and lengths match octet counts.
// Lines are split naively: the contents of an IMAP literal show up as ordinary lines.
import type { Readable } from 'node:stream';

interface LineState {
  partial: string;
  lines: string[];
  ended: Error | null; // set once the stream closes or fails; later reads fail at once
  wake: (() => void) | null;
  onData: (chunk: Buffer | string) => void;
}

const states = new WeakMap<Readable, LineState>();

function stateOf(stream: Readable): LineState {
  const existing = states.get(stream);
  if (existing) return existing;
  const s: LineState = {
    partial: '',
    lines: [],
    ended: null,
    wake: null,
    onData: (chunk) => {
      s.partial += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      let i: number;
      while ((i = s.partial.indexOf('\n')) >= 0) {
        s.lines.push(s.partial.slice(0, i).replace(/\r$/, ''));
        s.partial = s.partial.slice(i + 1);
      }
      s.wake?.();
    },
  };
  const finish = (err: Error): void => {
    if (!s.ended) s.ended = err;
    s.wake?.();
  };
  stream.on('data', s.onData);
  stream.once('end', () => finish(new Error('stream ended')));
  stream.once('close', () => finish(new Error('stream closed')));
  stream.once('error', (e: Error) => finish(e));
  states.set(stream, s);
  return s;
}

/**
 * Resolves with the lines read (without line terminators) up to and including the first one
 * for which `predicate` is true. Rejects when `timeoutMs` passes or the stream ends first;
 * the error message lists the lines seen, which is usually what you need to debug the test.
 */
export function readUntil(
  stream: Readable,
  predicate: (line: string) => boolean,
  timeoutMs = 10_000,
): Promise<string[]> {
  const st = stateOf(stream);
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      st.wake = null;
      if (err) reject(err);
      else resolve(seen);
    };
    const timer = setTimeout(
      () => done(new Error(`readUntil: timed out after ${timeoutMs} ms; lines seen:\n${seen.join('\n')}`)),
      timeoutMs,
    );
    const check = (): void => {
      while (st.lines.length > 0) {
        const line = st.lines.shift() as string;
        seen.push(line);
        if (predicate(line)) return done(null);
      }
      if (st.ended) done(new Error(`readUntil: ${st.ended.message}; lines seen:\n${seen.join('\n')}`));
    };
    st.wake = check;
    check();
  });
}

/** Predicate for the tagged completion (OK, NO or BAD) of command `tag`. */
export function tagged(tag: string): (line: string) => boolean {
  return (line) => line.startsWith(`${tag} `);
}

/**
 * Stops line reading on `stream` (e.g. before switching it to COMPRESS or TLS) and returns the
 * bytes received but not yet consumed (line ends normalised to CRLF). The stream is paused;
 * pipe or resume it yourself.
 */
export function release(stream: Readable): Buffer {
  const st = states.get(stream);
  if (!st) return Buffer.alloc(0);
  stream.pause();
  stream.off('data', st.onData);
  states.delete(stream);
  const rest = st.lines.map((l) => `${l}\r\n`).join('') + st.partial;
  return Buffer.from(rest, 'latin1');
}

/** Everything a socket receives from now on, as latin1, once `done` holds for it (no line splitting). */
export function receivedUntil(socket: Readable, done: (all: string) => boolean): Promise<string> {
  let all = '';
  return new Promise((resolve) => {
    const check = (): void => { if (done(all)) { socket.off('data', onData); resolve(all); } };
    const onData = (d: Buffer | string): void => { all += typeof d === 'string' ? d : d.toString('latin1'); check(); };
    socket.on('data', onData);
    check();
  });
}
