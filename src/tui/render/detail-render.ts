import { createHash } from 'node:crypto';
import type { Frame, FramePart, LiteralInfo } from '../../imap/frame';
import { MASK, maskLineText } from '../../imap/secret-mask';
import { annotationText, clockTime, formatLatency } from '../../imap/notation';
import { interventionText } from '../../imap/intervention-text';
import type { TuiModel } from '../view-model/tui-model';
import { DETAIL_LITERAL_BYTES } from '../view-model/detail-state';
import { DIRECTION_STYLE } from './frames-render';
import { cellSafe, colour, formatBytes, wrap } from './text-cells';

let cache: { key: string; lines: string[] } | undefined;

/** Every line of the detail pane for the selected frame (the caller shows a window of them). */
export function detailLines(model: TuiModel, width: number): string[] {
  const d = model.detail;
  if (!d) return [];
  const key = `${d.index}|${model.store.changes(d.index).length}|${width}|${model.hex}|${d.loading}|${d.error ?? ''}|${d.bytes.map((b) => b?.length ?? -1).join(',')}`;
  if (cache?.key === key) return cache.lines;
  const lines = build(model, d.index, width);
  cache = { key, lines };
  d.lines = lines.length;
  return lines;
}

function build(model: TuiModel, index: number, width: number): string[] {
  const frame = model.store.frame(index);
  const d = model.detail;
  const out: string[] = [];
  const who = frame.direction === 'client' ? 'C:' : 'S:';
  out.push(colour(cellSafe(`session #${frame.session}  frame ${frame.seq}  ${who} ${frame.kind}${frame.verb ? ` ${frame.verb}` : ''}${frame.tag ? `  tag ${frame.tag}` : ''}`), 'bold'));
  out.push(`${clockTime(frame.timeUs, model.options.utc)} to ${clockTime(frame.endUs, model.options.utc)}  offset ${frame.offset}, ${frame.length} bytes`);
  const paired = model.store.paired(index);
  if (paired !== undefined) {
    const other = model.store.frame(paired);
    const pair = (frame.direction === 'server' ? frame : other).annotations.find((a) => a.kind === 'pair');
    const latency = pair && pair.kind === 'pair' ? `, latency ${formatLatency(pair.latencyUs)}` : '';
    const label = frame.direction === 'server' ? 'command' : 'response';
    out.push(...wrap(`${label} (frame ${other.seq}${latency}): ${other.direction === 'client' ? 'C:' : 'S:'} ${cellSafe(model.store.text(paired))}`, width));
  }
  for (const c of model.store.changes(index)) {
    out.push(...wrap(cellSafe(`changed by imapdbg: ${interventionText(c)}`), width).map((l) => colour(l, 'red-fg')));
  }
  const band = model.store.band(index);
  if (band) {
    const state = band.endUs === undefined ? `open for ${formatLatency(model.now() - band.startUs)}` : `${formatLatency(band.endUs - band.startUs)}, ended by ${band.endedBy}`;
    out.push(colour(cellSafe(`IDLE period ${band.tag}: ${state}, ${band.updates} untagged updates`), 'green-fg'));
  }
  for (const a of frame.annotations) {
    if (a.kind === 'finding') {
      const f = a.finding;
      out.push(...wrap(`${f.level} ${f.code} (${f.rfc}): ${cellSafe(f.message)}`, width).map((l) => colour(l, f.level === 'error' ? 'red-fg' : 'yellow-fg')));
    } else if (a.kind !== 'pair') {
      const text = annotationText(a);
      if (text !== undefined) out.push(...wrap(cellSafe(text), width));
    }
  }
  out.push(colour(`── message ${'─'.repeat(Math.max(0, width - 11))}`.slice(0, width), 'gray-fg'));
  if (d?.error) out.push(colour(cellSafe(d.error), 'red-fg'));
  frame.parts.forEach((part, i) => out.push(...partLines(model, frame, part, i, d?.bytes[i], d?.loading ?? false, width)));
  return out;
}

function partLines(model: TuiModel, frame: Frame, part: FramePart, index: number, bytes: Buffer | undefined,
  loading: boolean, width: number): string[] {
  const style = DIRECTION_STYLE[frame.direction];
  const secrets = frame.secrets.filter((s) => s.part === index);
  const reveal = model.options.revealSecrets;
  if (part.type === 'line') {
    const full = bytes && bytes.length > 0 ? bytes.toString('latin1').replace(/\r?\n$/, '') : part.line.text;
    const text = reveal ? full : maskLineText(full, secrets, part.line);
    const lines = wrap(cellSafe(text), width).map((l) => colour(l, style));
    if (part.line.truncated && !(bytes && bytes.length >= part.line.length)) {
      lines.push(colour(loading ? '(loading the rest of the line…)' : `(line of ${part.line.length} bytes; only the first ${part.line.text.length} are held)`, 'gray-fg'));
    }
    return lines;
  }
  const lit = part.literal;
  const head = `literal {${lit.size}${lit.form === 'sync' ? '' : lit.form === 'non-sync-plus' ? '+' : '-'}}${lit.binary ? ' binary' : ''}: ${formatBytes(lit.size)}`
    + `${lit.received < lit.size ? `, only ${lit.received} received` : ''}${digestNote(lit, bytes)}  [${model.hex ? 'hex' : 'text'}, x toggles]`;
  const out = wrap(head, width).map((l) => colour(l, 'magenta-fg'));
  if (!reveal && secrets.length > 0) return [...out, colour(`  ${MASK} (secret; --reveal-secrets shows it)`, style)];
  const body = bytes && bytes.length > 0 ? bytes : Buffer.from(lit.preview, 'latin1');
  const source = bytes && bytes.length > 0 ? '' : loading ? ' (loading…)' : ' (preview only: the bytes are not available)';
  out.push(...(model.hex ? hexLines(body, width) : textLines(body, width)).map((l) => colour(l, style)));
  if (body.length < lit.received || source) {
    out.push(colour(`… ${body.length} of ${lit.received} bytes shown${source}${body.length >= DETAIL_LITERAL_BYTES ? ` (the detail shows at most ${formatBytes(DETAIL_LITERAL_BYTES)})` : ''}`, 'gray-fg'));
  }
  return out;
}

/**
 * The literal's SHA-256: the framer's when it kept one, else computed here from the loaded bytes
 * when they are the whole body (the proxy does not digest while forwarding; the capture has the bytes).
 */
function digestNote(lit: LiteralInfo, bytes: Buffer | undefined): string {
  const hex = lit.sha256 !== '' ? lit.sha256
    : bytes && bytes.length === lit.received ? createHash('sha256').update(bytes).digest('hex') : '';
  return hex ? `, sha256 ${hex.slice(0, 16)}…` : '';
}

/** A literal as text: one row per line of the body, control characters escaped, long lines wrapped. */
function textLines(body: Buffer, width: number): string[] {
  const text = body.toString('latin1');
  const out: string[] = [];
  for (const line of text.split('\n')) out.push(...wrap(cellSafe(line.replace(/\r$/, '')), width));
  if (text.endsWith('\n')) out.pop();
  return out;
}

/** A classic hex dump: offset, 16 (or 8 on narrow screens) bytes in hex, and the printable ones. */
export function hexLines(body: Buffer, width: number): string[] {
  const per = width >= 76 ? 16 : 8;
  const out: string[] = [];
  for (let o = 0; o < body.length; o += per) {
    const chunk = body.subarray(o, o + per);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${o.toString(16).padStart(8, '0')}  ${hex.padEnd(per * 3 - 1)}  |${ascii}|`);
  }
  return out;
}
