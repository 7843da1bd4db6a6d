import type { Frame } from '../../imap/frame';

/**
 * Who logged in and which mailbox is selected. Whether the login is under way, accepted or refused
 * is what the session model's AuthTracker annotated (`auth-started`, `auth-succeeded`, including a
 * PREAUTH greeting, `auth-failed`); the user name is the LOGIN argument, or what the SASL decoder
 * read (`sasl` phase). The mailbox is read from SELECT / EXAMINE and confirmed only when the
 * server's tagged OK arrives (a failed SELECT deselects, RFC 3501 6.3.1).
 * The user name is not a secret; the password never leaves the frame it came in.
 */
export class SessionIdentity {
  user: string | undefined;
  /** `ok` once the server accepted the login (or greeted PREAUTH); `failed` after a NO or BAD. */
  userState: 'none' | 'pending' | 'ok' | 'failed' = 'none';
  mailbox: string | undefined;
  private readonly pending = new Map<string, { kind: 'mailbox' | 'deselect'; value?: string }>();
  /** A LOGIN or SELECT whose argument arrives as a synchronizing literal in the next segment. */
  private literalArgFor: { tag: string; kind: 'user' | 'mailbox' } | undefined;
  /** The AUTHENTICATE under way, for captures without `sasl` phases (below). */
  private authenticate: { tag: string; mechanism: string } | undefined;

  observe(frame: Frame): void {
    if (frame.direction === 'client') this.observeClient(frame);
    else if (frame.kind === 'tagged' && frame.tag !== undefined) this.observeTagged(frame.tag, frame.verb);
    for (const a of frame.annotations) {
      if (a.kind !== 'phase') continue;
      switch (a.phase) {
        case 'auth-started': this.userState = 'pending'; break;
        case 'auth-succeeded': this.userState = 'ok'; break;
        case 'auth-failed': this.userState = 'failed'; break;
        case 'sasl': if (a.detail.from === 'client' && typeof a.detail.user === 'string') this.user = a.detail.user; break;
        default: break;
      }
    }
  }

  private observeClient(frame: Frame): void {
    const tag = frame.tag;
    if (tag === undefined) return;
    const first = frame.parts[0];
    if (frame.kind === 'command-continuation' && this.literalArgFor?.tag === tag && first?.type === 'literal') {
      const { kind } = this.literalArgFor;
      this.literalArgFor = undefined;
      this.argument(tag, kind, first.literal.preview);
      return;
    }
    // A capture recorded before imapdbg decoded SASL has no `sasl` phase: PLAIN and OAuth users are read here.
    if (frame.kind === 'sasl') {
      const auth = this.authenticate;
      if (auth?.tag === tag && this.user === undefined && first?.type === 'line' && !hasSaslPhase(frame)) this.user = saslUser(auth.mechanism, first.line.text);
      return;
    }
    if (frame.kind !== 'command' || first?.type !== 'line') return;
    const args = first.line.text.slice(tag.length + 1 + (frame.verb?.length ?? 0)).trim();
    switch (frame.verb) {
      case 'LOGIN':
        this.begin(tag, 'user', firstArgument(args), frame);
        return;
      case 'AUTHENTICATE': {
        const [mechanism = '', initial] = args.split(' ');
        this.authenticate = { tag, mechanism };
        this.user = undefined;
        if (initial !== undefined && !hasSaslPhase(frame)) this.user = saslUser(mechanism, initial);
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
    if (arg !== undefined && typeof arg !== 'string') {
      // `{5}` / `{5+}`: the body is the next literal part, in this frame (LITERAL+) or the next segment.
      const lit = frame.parts.find((p) => p.type === 'literal');
      if (lit && lit.type === 'literal') this.argument(tag, kind, lit.literal.preview);
      else this.literalArgFor = { tag, kind };
      return;
    }
    this.argument(tag, kind, arg);
  }

  private argument(tag: string, kind: 'user' | 'mailbox', value: string | undefined): void {
    if (kind === 'user') {
      if (value !== undefined) this.user = value;
    } else {
      this.pending.set(tag, { kind, value });
    }
  }

  private observeTagged(tag: string, status: string | undefined): void {
    const p = this.pending.get(tag);
    if (!p) return;
    this.pending.delete(tag);
    const ok = status === 'OK';
    switch (p.kind) {
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

function hasSaslPhase(frame: Frame): boolean {
  return frame.annotations.some((a) => a.kind === 'phase' && a.phase === 'sasl');
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
