import { isIPv4, isIPv6 } from 'node:net';

/**
 * Stable placeholders for one pseudonymized export: the same original always gets the same
 * placeholder, different originals different ones (while the placeholder length leaves room), and
 * no placeholder equals an original. Mailbox names keep their length (they sit in packets whose
 * lengths must not change): each hierarchy level (split at `/` and `.`) becomes `m001`-like text of
 * its own length; INBOX (not a private name, RFC 3501 5.1) and LIST wildcards stay. Addresses become
 * 10.0.0.N or fd00::N (same bytes length in the packets); host names, SNI and certificate names
 * become host-N, subject-N.
 */
export class PseudonymTable {
  private readonly names = new Map<string, string>();
  private readonly originalNames = new Set<string>();
  private readonly ips = new Map<string, Buffer>();
  private readonly texts = new Map<string, string>();
  private readonly literals = new Map<string, number>();
  private counter = 0;

  /** Note an original name before placeholders are handed out, so none equals it. */
  noteName(name: string): void {
    for (const c of components(name)) this.originalNames.add(c);
  }

  /** A mailbox name's placeholder of the same length (`raw` as it appears: quoted escapes count). */
  mailbox(raw: string): string {
    if (raw.includes('\\')) return this.component(raw);
    let out = '';
    let at = 0;
    for (const m of raw.matchAll(/[^/.]+/g)) {
      out += raw.slice(at, m.index) + (keep(m[0], m.index === 0) ? m[0] : this.component(m[0]));
      at = (m.index ?? 0) + m[0].length;
    }
    return out + raw.slice(at);
  }

  /** Every original name known, longest first (for finding them in free text). */
  knownNames(): string[] {
    return [...this.names.keys()].filter((n) => n.length >= 3).sort((a, b) => b.length - a.length);
  }

  private component(c: string): string {
    const known = this.names.get(c);
    if (known !== undefined) return known;
    let placeholder: string;
    do {
      this.counter += 1;
      placeholder = ofLength(this.counter, c.length);
    } while (this.originalNames.has(placeholder) || placeholder === c);
    this.names.set(c, placeholder);
    return placeholder;
  }

  /** An IP address's placeholder: 4 bytes for 4, 16 for 16. */
  ip(bytes: Buffer): Buffer {
    const key = bytes.toString('hex');
    const known = this.ips.get(key);
    if (known) return known;
    const n = this.ips.size + 1;
    const out = Buffer.alloc(bytes.length);
    if (bytes.length === 4) {
      out[0] = 10;
      out.writeUIntBE(n & 0xffffff, 1, 3);
    } else {
      out[0] = 0xfd;
      out.writeUInt32BE(n, out.length - 4);
    }
    this.ips.set(key, out);
    return out;
  }

  /** `host:port` or `[v6]:port` with the host pseudonymized and the port kept (it names a service, not a person). */
  endpoint(text: string): string {
    const m = /^(?:\[([^\]]*)\]|(.*)):(\d{1,5})$/.exec(text);
    if (!m) return this.host(text);
    const host = m[1] ?? m[2] ?? '';
    const h = this.host(host);
    return `${isIPv6(h) ? `[${h}]` : h}:${m[3]}`;
  }

  /** An address or host name as text. */
  host(text: string): string {
    const bytes = ipBytes(text);
    if (bytes) return ipText(this.ip(bytes));
    return this.named('host', text);
  }

  /** A certificate subject or issuer, or anything else named: `kind-N`. */
  named(kind: string, text: string): string {
    if (text === '') return text;
    const key = `${kind}\0${text}`;
    let out = this.texts.get(key);
    if (out === undefined) {
      out = `${kind}-${this.texts.size + 1}`;
      this.texts.set(key, out);
    }
    return out;
  }

  /** Originals of addresses, host names and subjects seen so far, with their placeholders, longest first. */
  knownTexts(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [key, placeholder] of this.texts) out.push([key.slice(key.indexOf('\0') + 1), placeholder]);
    for (const [hex, placeholder] of this.ips) out.push([ipText(Buffer.from(hex, 'hex')), ipText(placeholder)]);
    return out.filter(([o]) => o.length >= 3).sort((a, b) => b[0].length - a[0].length);
  }

  /** The number of a literal body by its digest: equal bodies get equal fillers. */
  literal(digest: string): number {
    let n = this.literals.get(digest);
    if (n === undefined) {
      n = this.literals.size + 1;
      this.literals.set(digest, n);
    }
    return n;
  }

  /**
   * Free text (finding messages, notes, errors, comments) with every known original replaced by
   * its placeholder.
   */
  text(s: string): string {
    let out = s;
    for (const [original, placeholder] of this.knownTexts()) out = out.split(original).join(placeholder);
    for (const name of this.knownNames()) out = out.split(name).join(this.names.get(name) ?? name);
    return out;
  }
}

function components(name: string): string[] {
  return name.split(/[/.]/).filter((c, i) => c !== '' && !keep(c, i === 0));
}

/** INBOX at the top level, and pure wildcards, are not private. */
function keep(component: string, first: boolean): boolean {
  return (first && component.toUpperCase() === 'INBOX') || /^[*%]+$/.test(component);
}

/** `n` as text of exactly `length` characters: m001-like when it fits, else base 36. */
function ofLength(n: number, length: number): string {
  const decimal = `m${String(n).padStart(length - 1, '0')}`;
  if (decimal.length === length) return decimal;
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz';
  let out = '';
  let v = n;
  for (let i = 0; i < length; i++) {
    out = digits[v % 36] + out;
    v = Math.floor(v / 36);
  }
  return out;
}

function ipBytes(text: string): Buffer | undefined {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  const t = text.replace(/%.*$/, '');
  if (!isIPv6(t)) return undefined;
  const [head, tail] = t.includes('::') ? t.split('::') : [t, ''];
  const words = (s: string): number[] => s.split(':').filter((w) => w !== '').flatMap((w) => {
    if (!w.includes('.')) return [parseInt(w, 16)];
    const b = w.split('.').map(Number);
    return [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
  });
  const h = words(head);
  const r = words(tail);
  const all = [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w & 0xffff, i * 2));
  // An IPv4-mapped address is the IPv4 one (as the synthetic packets carry it).
  return out.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) ? out.subarray(12) : out;
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
