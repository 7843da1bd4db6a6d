import type { Frame, FramePart, LiteralInfo, SecretSpan } from './frame';
import { MASK, maskLineText } from './secret-mask';
import { oneLineText } from './terminal-text';

/** Options for turning a frame into one line of text. */
export interface FrameTextOptions {
  /** Show secrets (LOGIN passwords, SASL data) instead of masking them. */
  revealSecrets: boolean;
  /** Literals up to this many bytes, printable and on one line, are shown inline. */
  inlineLiteralMax?: number;
  /** Characters of a larger literal's preview to show. */
  previewChars?: number;
  /** Characters of a line to show (after masking); the rest is summarised. Unlimited if unset. */
  maxLineChars?: number;
}

/** What a masked secret looks like; fixed width so it does not leak the secret's length. */
export { MASK };

/**
 * The frame as one line in the notation of the RFCs' examples (without the `C: ` prefix):
 * lines as they are, small literals inline, larger ones as `{size} «preview…»`, secrets masked.
 */
export function frameText(frame: Frame, options: FrameTextOptions): string {
  // Most frames are one line without secrets: no arrays for them (this runs for every frame shown).
  if (frame.parts.length === 1) return partText(frame.parts[0], secretsOf(frame.secrets, 0), options);
  return frame.parts.map((part, index) => partText(part, secretsOf(frame.secrets, index), options)).join('');
}

const NO_SECRETS: SecretSpan[] = [];

function secretsOf(spans: SecretSpan[], part: number): SecretSpan[] {
  return spans.length === 0 ? NO_SECRETS : spans.filter((s) => s.part === part);
}

function partText(part: FramePart, secrets: SecretSpan[], options: FrameTextOptions): string {
  if (part.type === 'literal') {
    const masked = !options.revealSecrets && secrets.length > 0;
    return literalText(part.literal, masked, options);
  }
  let text = options.revealSecrets ? part.line.text : maskLineText(part.line.text, secrets, part.line);
  const max = options.maxLineChars;
  const cut = max !== undefined && text.length > max;
  if (cut) text = text.slice(0, max);
  text = printable(text);
  if (cut || part.line.truncated) text += `… [line of ${part.line.length} bytes, first ${cut ? max : part.line.text.length} shown]`;
  return text;
}

function literalText(lit: LiteralInfo, masked: boolean, options: FrameTextOptions): string {
  const inlineMax = options.inlineLiteralMax ?? 64;
  const short = lit.received < lit.size ? ` (only ${lit.received} received)` : '';
  if (masked) return `«${lit.size} bytes ${MASK}»${short}`;
  if (lit.size <= inlineMax && lit.received === lit.size && /^[\x20-\x7e]*$/.test(lit.preview)) return lit.preview;
  const chars = options.previewChars ?? 40;
  const preview = printable(lit.preview.slice(0, chars));
  const more = lit.received > chars ? '…' : '';
  return ` «${lit.size} bytes: "${preview}${more}"»${short}`;
}

/**
 * Control characters (C0, DEL, C1 such as the 8-bit CSI 0x9b) and bidi overrides shown as escapes:
 * a frame stays one line and no byte drives the terminal (the one escaper, terminal-text.ts).
 */
export const printable = oneLineText;
