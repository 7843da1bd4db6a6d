import type { Direction } from '../imap/frame';
import { oneLineText } from '../imap/terminal-text';

/**
 * What a script hook may return, checked strictly: nothing (`undefined` or `null`: forward), one
 * action object or an array of them. Any other value, an unknown action or property, or a value
 * of the wrong type makes the whole return a hook error (the frame goes on unchanged).
 */
export type ScriptAction =
  /** Frame actions: what happens to the frame the hook was called for. */
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  | { kind: 'replace'; bytes: Buffer }
  | { kind: 'slice'; bytes: number }
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Session actions. */
  | { kind: 'inject'; toward: Direction; bytes: Buffer }
  | { kind: 'blackhole' }
  | { kind: 'reset'; side: Direction | 'both' }
  | { kind: 'close'; side: Direction | 'both' };

export type FrameActionKind = 'drop' | 'delay' | 'replace' | 'slice' | 'throttle';
export const FRAME_ACTIONS: readonly string[] = ['drop', 'delay', 'replace', 'slice', 'throttle'] satisfies FrameActionKind[];

export type HookResultCheck = { ok: true; actions: ScriptAction[] } | { ok: false; reason: string };

/** Bounds of what a script may ask for (a typo such as `ms: 5e9` should be an error, not a 58-day stall). */
export const SCRIPT_ACTION_LIMITS = {
  actionsPerReturn: 100,
  /** Largest delay: one day. */
  delayMs: 86_400_000,
  /** Largest replacement or injection. */
  bytes: 16 * 1024 * 1024,
} as const;

const ACTION_NAMES = ['drop', 'delay', 'replace', 'inject', 'blackhole', 'reset', 'close', 'slice', 'throttle'];

/** Check a hook's return value and turn it into actions. */
export function checkHookResult(value: unknown): HookResultCheck {
  if (value === undefined || value === null) return { ok: true, actions: [] };
  const items: unknown[] = Array.isArray(value) ? value : [value];
  if (items.length > SCRIPT_ACTION_LIMITS.actionsPerReturn) return { ok: false, reason: `returned ${items.length} actions (at most ${SCRIPT_ACTION_LIMITS.actionsPerReturn})` };
  const actions: ScriptAction[] = [];
  for (let i = 0; i < items.length; i++) {
    const where = Array.isArray(value) ? `action ${i + 1}: ` : '';
    const checked = checkAction(items[i]);
    if (typeof checked === 'string') return { ok: false, reason: `${where}${checked}` };
    actions.push(checked);
  }
  return { ok: true, actions };
}

/** One action object, or why it is not one. */
function checkAction(item: unknown): ScriptAction | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return `returned ${shortValue(item)}: not an action (expected nothing, { action: ... } or an array of them)`;
  }
  const obj = item as Record<string, unknown>;
  const name = obj.action;
  if (typeof name !== 'string') return `an action needs 'action' (one of ${ACTION_NAMES.join(', ')}), got ${shortValue(item)}`;
  const only = (...allowed: string[]): string | undefined => {
    const extra = Object.keys(obj).filter((k) => k !== 'action' && !allowed.includes(k));
    return extra.length > 0 ? `'${name}' has unknown ${extra.length > 1 ? 'properties' : 'property'} ${extra.map((k) => `'${oneLineText(k).slice(0, 40)}'`).join(', ')}` : undefined;
  };
  switch (name) {
    case 'drop':
    case 'blackhole':
      return only() ?? { kind: name };
    case 'delay': {
      const ms = obj.ms;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > SCRIPT_ACTION_LIMITS.delayMs) {
        return `'delay' needs ms: a number from 0 to ${SCRIPT_ACTION_LIMITS.delayMs} (got ${shortValue(ms)})`;
      }
      return only('ms') ?? { kind: 'delay', ms: Math.round(ms) };
    }
    case 'slice': {
      const bytes = obj.bytes;
      if (!isPositiveInteger(bytes)) return `'slice' needs bytes: a positive integer (got ${shortValue(bytes)})`;
      return only('bytes') ?? { kind: 'slice', bytes };
    }
    case 'throttle': {
      const rate = obj.bytesPerSecond;
      if (!isPositiveInteger(rate)) return `'throttle' needs bytesPerSecond: a positive integer (got ${shortValue(rate)})`;
      return only('bytesPerSecond') ?? { kind: 'throttle', bytesPerSecond: rate };
    }
    case 'reset':
    case 'close': {
      const side = obj.side ?? 'both';
      if (side !== 'client' && side !== 'server' && side !== 'both') return `'${name}' side must be 'client', 'server' or 'both' (got ${shortValue(side)})`;
      return only('side') ?? { kind: name, side };
    }
    case 'replace': {
      const bytes = frameBytesOf(obj, name);
      if (typeof bytes === 'string') return bytes;
      if (bytes.length === 0) return `'replace' with nothing: use { action: 'drop' }`;
      return only('text', 'parts', 'bytes') ?? { kind: 'replace', bytes };
    }
    case 'inject': {
      const to = obj.to ?? 'client';
      if (to !== 'client' && to !== 'server') return `'inject' to must be 'client' or 'server' (got ${shortValue(to)})`;
      const bytes = frameBytesOf(obj, name);
      if (typeof bytes === 'string') return bytes;
      if (bytes.length === 0) return `'inject' needs something to send`;
      return only('text', 'parts', 'bytes', 'to') ?? { kind: 'inject', toward: to, bytes };
    }
    default:
      return `unknown action ${shortValue(name)} (actions: ${ACTION_NAMES.join(', ')})`;
  }
}

/**
 * The wire bytes of `text`, `parts` or `bytes` (exactly one):
 * - `text`: lines without literals; `\n` or `\r\n` between lines, CRLF added at the end;
 * - `parts`: lines and `{ literal }` bodies in wire order, each literal's `{N}` announcement at the
 *   end of the line before it set to the body's byte count (written when the line has none);
 * - `bytes`: exactly these bytes (a Buffer or Uint8Array), nothing added.
 */
function frameBytesOf(obj: Record<string, unknown>, name: string): Buffer | string {
  const given = ['text', 'parts', 'bytes'].filter((k) => obj[k] !== undefined);
  if (given.length !== 1) return `'${name}' needs exactly one of text, parts or bytes${given.length > 1 ? ` (got ${given.join(' and ')})` : ''}`;
  let out: Buffer | string;
  if (obj.text !== undefined) out = typeof obj.text === 'string' ? (obj.text === '' ? Buffer.alloc(0) : textBytes(obj.text)) : `'${name}' text must be a string (got ${shortValue(obj.text)})`;
  else if (obj.bytes !== undefined) out = obj.bytes instanceof Uint8Array ? Buffer.from(obj.bytes) : `'${name}' bytes must be a Buffer or Uint8Array (got ${shortValue(obj.bytes)})`;
  else out = partsBytes(obj.parts, name);
  if (typeof out !== 'string' && out.length > SCRIPT_ACTION_LIMITS.bytes) return `'${name}' makes ${out.length} bytes (at most ${SCRIPT_ACTION_LIMITS.bytes})`;
  return out;
}

function textBytes(text: string): Buffer {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'utf8');
}

/** A literal announcement at a line's end: `{N}`, `{N+}`, `{N-}`, `~{N}`; the count may be missing or wrong. */
const ANNOUNCEMENT = /(~?)\{\d*([+-]?)\}$/;

function partsBytes(parts: unknown, name: string): Buffer | string {
  if (!Array.isArray(parts) || parts.length === 0) return `'${name}' parts must be a non-empty array of lines and { literal } objects`;
  const pieces: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part: unknown = parts[i];
    const next: unknown = parts[i + 1];
    const nextIsLiteral = typeof next === 'object' && next !== null;
    if (typeof part === 'string') {
      if (/[\r\n]/.test(part)) return `'${name}' part ${i + 1}: a line must not contain CR or LF (use another part)`;
      if (!nextIsLiteral) {
        pieces.push(Buffer.from(`${part}\r\n`, 'utf8'));
        continue;
      }
      const body = literalBody(next);
      if (typeof body === 'string') return `'${name}' part ${i + 2}: ${body}`;
      const m = ANNOUNCEMENT.exec(part);
      const line = m ? `${part.slice(0, m.index)}${m[1]}{${body.length}${m[2]}}` : `${part}{${body.length}}`;
      pieces.push(Buffer.from(`${line}\r\n`, 'utf8'), body);
      i++;
      // What follows a literal continues its line: the next part (a string) or an empty line end.
      if (typeof parts[i + 1] !== 'string') pieces.push(Buffer.from('\r\n', 'latin1'));
      continue;
    }
    return `'${name}' part ${i + 1}: ${typeof part === 'object' && part !== null ? 'a literal must follow a line' : `expected a line or { literal }, got ${shortValue(part)}`}`;
  }
  return Buffer.concat(pieces);
}

function literalBody(part: unknown): Buffer | string {
  const obj = part as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => k !== 'literal');
  if (extra.length > 0) return `a literal part has only 'literal' (got '${oneLineText(extra[0]).slice(0, 40)}')`;
  if (typeof obj.literal === 'string') return Buffer.from(obj.literal, 'utf8');
  if (obj.literal instanceof Uint8Array) return Buffer.from(obj.literal);
  return `literal must be a string or a Buffer (got ${shortValue(obj.literal)})`;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A value as a short, one-line, terminal-safe description for error messages. */
export function shortValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'function') text = 'a function';
  else if (typeof value === 'bigint' || typeof value === 'symbol') text = String(value);
  else if (value instanceof Uint8Array) text = `${value.length} bytes`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  text = oneLineText(text);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
