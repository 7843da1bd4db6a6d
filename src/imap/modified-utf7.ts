/**
 * Modified UTF-7 mailbox names (RFC 3501 5.1.3): printable US-ASCII stands for itself, `&-` is
 * `&`, and `&...-` holds UTF-16BE in base64 with `,` for `/`. Strict, as the RFC words it: a
 * printable ASCII character must not be encoded, a shift must be closed, its leftover bits zero,
 * surrogates paired, and two shifts must not touch (they would be one). Anything else is invalid,
 * and the caller shows the raw name.
 */
export type Utf7Decoding = { ok: true; text: string } | { ok: false; reason: string };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

/** Decode a mailbox name (latin1 text, one character per byte, as the framer keeps lines). */
export function decodeModifiedUtf7(name: string): Utf7Decoding {
  let out = '';
  let i = 0;
  let lastShiftEnd = -1;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return { ok: false, reason: `byte 0x${c.toString(16).padStart(2, '0')} outside printable US-ASCII` };
    if (c !== 0x26) {
      out += name[i];
      i += 1;
      continue;
    }
    const end = name.indexOf('-', i + 1);
    if (end === -1) return { ok: false, reason: '"&" shift not closed by "-"' };
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    if (lastShiftEnd === i) return { ok: false, reason: 'two adjacent encoded sequences' };
    const units = decodeShift(name.slice(i + 1, end));
    if (typeof units === 'string') return { ok: false, reason: units };
    for (let k = 0; k < units.length; k += 1) {
      const u = units[k];
      if (u >= 0x20 && u <= 0x7e) return { ok: false, reason: 'printable US-ASCII encoded in base64' };
      if (u >= 0xd800 && u <= 0xdbff) {
        const low = units[k + 1];
        if (low === undefined || low < 0xdc00 || low > 0xdfff) return { ok: false, reason: 'unpaired UTF-16 surrogate' };
        k += 1;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return { ok: false, reason: 'unpaired UTF-16 surrogate' };
      }
    }
    out += String.fromCharCode(...units);
    i = end + 1;
    lastShiftEnd = i;
  }
  return { ok: true, text: out };
}

/** The UTF-16 code units of a shift's base64, or why it is invalid. */
function decodeShift(b64: string): number[] | string {
  let bits = 0;
  let nbits = 0;
  const bytes: number[] = [];
  for (const ch of b64) {
    const v = B64.indexOf(ch);
    if (v === -1) return `"${ch === '=' ? '=' : 'character'}" not allowed in modified base64`;
    bits = ((bits << 6) | v) & 0xffffff;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      bytes.push((bits >> nbits) & 0xff);
    }
  }
  if (nbits >= 6 || (bits & ((1 << nbits) - 1)) !== 0) return 'leftover bits in a shift';
  if (bytes.length % 2 !== 0) return 'odd number of bytes in a shift';
  const units: number[] = [];
  for (let k = 0; k < bytes.length; k += 2) units.push((bytes[k] << 8) | bytes[k + 1]);
  return units;
}
