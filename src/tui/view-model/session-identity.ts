import type { Frame } from '../../imap/frame';

/**
 * Reads who logged in and which mailbox is selected from a session's client commands, and
 * confirms both only when the server's tagged OK arrives (a failed SELECT deselects, RFC 3501 6.3.1).
 * The user name is not a secret; the password never leaves the frame it came in.
 */
export class SessionIdentity {
  user: string | undefined;
  /** `ok` once the server accepted the login; `failed` after a NO or BAD. */
  userState: 'none' | 'pending' | 'ok' | 'failed' = 'none';
  mailbox: string | undefined;
  private readonly pending = new Map<string, { kind: 'user' | 'mailbox' | 'deselect'; value?: string; mechanism?: string }>();
  /** A LOGIN or SELECT whose argument arrives as a synchronizing literal in the next segment. */
  private literalArgFor: string | undefined;

  observe(frame: Frame): void {
    if (frame.direction === 'client') this.observeClient(frame);
    else if (frame.kind === 'tagged' && frame.tag !== undefined) this.observeTagged(frame.tag, frame.verb);
  }

  private observeClient(frame: Frame): void {
    const tag = frame.tag;
    if (tag === undefined) return;
    const first = frame.parts[0];
    if (frame.kind === 'command-continuation' && this.literalArgFor === tag && first?.type === 'literal') {
      this.literalArgFor = undefined;
      const p = this.pending.get(tag);
      if (p) p.value = first.literal.preview;
      if (p?.kind === 'user') this.user = p.value;
      return;
    }
    if (frame.kind === 'sasl') {
      const p = this.pending.get(tag);
      if (p?.kind === 'user' && p.value === undefined && first?.type === 'line') {
        p.value = saslUser(p.mechanism ?? '', first.line.text);
        if (p.value !== undefined) this.user = p.value;
      }
      return;
    }
    if (frame.kind !== 'command' || first?.type !== 'line') return;
    const args = first.line.text.slice(tag.length + 1 + (frame.verb?.length ?? 0)).trim();
    switch (frame.verb) {
      case 'LOGIN': {
        const arg = firstArgument(args);
        this.begin(tag, 'user', arg, frame);
        return;
      }
      case 'AUTHENTICATE': {
        const [mechanism = '', initial] = args.split(' ');
        const user = initial !== undefined ? saslUser(mechanism, initial) : undefined;
        this.pending.set(tag, { kind: 'user', value: user, mechanism: mechanism.toUpperCase() });
        this.userState = 'pending';
        if (user !== undefined) this.user = user;
        return;
      }
      case 'SELECT':
      case 'EXAMINE':
        this.begin(tag, 'mailbox', firstArgument(args), frame);
        return;
      case 'CLOSE':
      case 'UNSELECT':
        this.pending.set(tag, { kind: 'deselect' });
        return;
      default:
    }
  }

  private begin(tag: string, kind: 'user' | 'mailbox', arg: string | { literal: true } | undefined, frame: Frame): void {
    let value: string | undefined;
    if (arg !== undefined && typeof arg !== 'string') {
      // `{5}` / `{5+}`: the body is the next literal part, in this frame (LITERAL+) or the next segment.
      const lit = frame.parts.find((p) => p.type === 'literal');
      if (lit && lit.type === 'literal') value = lit.literal.preview;
      else this.literalArgFor = frame.tag;
    } else {
      value = arg;
    }
    this.pending.set(tag, { kind, value });
    if (kind === 'user') {
      this.userState = 'pending';
      if (value !== undefined) this.user = value;
    }
  }

  private observeTagged(tag: string, status: string | undefined): void {
    const p = this.pending.get(tag);
    if (!p) return;
    this.pending.delete(tag);
    const ok = status === 'OK';
    switch (p.kind) {
      case 'user':
        this.userState = ok ? 'ok' : 'failed';
        if (p.value !== undefined) this.user = p.value;
        return;
      case 'mailbox':
        this.mailbox = ok ? p.value : undefined;
        return;
      case 'deselect':
        if (ok) this.mailbox = undefined;
        return;
      default: {
        const never: never = p.kind;
        return never;
      }
    }
  }
}

/** The first astring of an argument list: atom, quoted string, or a literal announcement. */
export function firstArgument(args: string): string | { literal: true } | undefined {
  if (args === '') return undefined;
  if (args.startsWith('"')) {
    let out = '';
    for (let i = 1; i < args.length; i++) {
      if (args[i] === '\\') { out += args[i + 1] ?? ''; i += 1; } else if (args[i] === '"') return out;
      else out += args[i];
    }
    return out;
  }
  const word = args.split(' ')[0];
  if (/^~?\{\d+[+-]?\}$/.test(word)) return { literal: true };
  return word;
}

/**
 * The authentication identity in a SASL initial response or client response: PLAIN's authcid
 * (RFC 4616: authzid NUL authcid NUL passwd), XOAUTH2's `user=`, OAUTHBEARER's `a=` (RFC 7628).
 */
export function saslUser(mechanism: string, base64: string): string | undefined {
  if (base64 === '=' || base64 === '*') return undefined;
  const decoded = Buffer.from(base64, 'base64').toString('utf8');
  switch (mechanism.toUpperCase()) {
    case 'PLAIN': {
      const fields = decoded.split('\0');
      return fields.length === 3 ? fields[1] : undefined;
    }
    case 'XOAUTH2': return /^user=([^\x01]*)/.exec(decoded)?.[1];
    case 'OAUTHBEARER': return /^n,a=([^,]*),/.exec(decoded)?.[1];
    default: return undefined;
  }
}
