import { boundedCopy, STORED_STRING_LIMITS } from './bounded-string';
import type { Annotation, Frame } from './frame';
import { commandArguments, firstLine, responseCode } from './frame-facts';
import { NO_ANNOTATIONS } from './no-results';
import { phaseMaker, type PhaseAnnotationOf, type PhaseSpecs } from './phase-detail';
import { decodeSaslBase64, SASL_LINE_MAX } from './sasl/sasl-base64';
import type { SaslDecoder } from './sasl/sasl-decoder';
import { saslDecoderFor } from './sasl/sasl-decoders';
import type { FrameAnnotator } from './session-model';

/** The authentication exchange under way, if any. */
export type AuthPhase =
  | { kind: 'none' }
  /** `tag LOGIN user password` sent (RFC 3501 6.2.3). */
  | { kind: 'login'; tag: string }
  /** `tag AUTHENTICATE mechanism [initial-response]` sent (RFC 3501 6.2.2, SASL-IR RFC 4959). */
  | { kind: 'sasl'; tag: string; mechanism: string; initialResponse: boolean; rounds: number; cancelled: boolean };

/**
 * The authentication phases and their detail fields. None carries a credential or its length; a
 * `sasl` phase adds the fields its mechanism's decoder shows (sasl/), secrets masked.
 */
export const AUTH_PHASES = {
  'auth-started': { tag: 'string', method: ['LOGIN', 'AUTHENTICATE'], mechanism: 'string?', saslIr: 'boolean?' },
  'auth-challenge': { tag: 'string', round: 'number', empty: 'boolean' },
  'auth-response': { tag: 'string', round: 'number' },
  'auth-cancelled': { tag: 'string', round: 'number' },
  'sasl': { tag: 'string', from: ['client', 'server'], round: 'number', '*': 'primitive' },
  'auth-succeeded': { tag: 'string?', method: ['LOGIN', 'AUTHENTICATE', 'PREAUTH'], mechanism: 'string?', rounds: 'number?' },
  'auth-failed': {
    tag: 'string', method: ['LOGIN', 'AUTHENTICATE'], mechanism: 'string?', rounds: 'number?', status: 'string', code: 'string?', cancelled: 'boolean?',
  },
} as const satisfies PhaseSpecs;

/** An authentication phase annotation (AuthTracker). */
export type AuthPhaseAnnotation = PhaseAnnotationOf<typeof AUTH_PHASES>;

const phase = phaseMaker<typeof AUTH_PHASES>();

/**
 * Annotates LOGIN and AUTHENTICATE: `auth-started` (method or SASL mechanism, whether the SASL-IR
 * initial response was used), `auth-challenge` and `auth-response` for each SASL round,
 * `auth-cancelled` for the client's `*`, then `auth-succeeded` or `auth-failed` with the response code.
 * No annotation ever carries the credentials or their length: frames mask them, annotations must not leak them.
 */
export class AuthTracker implements FrameAnnotator {
  private state: AuthPhase = { kind: 'none' };
  private done = false;
  /** The decoder of the mechanism under way (sasl/), undefined for mechanisms imapdbg does not read. */
  private decoder: SaslDecoder | undefined;

  get phase(): Readonly<AuthPhase> {
    return this.state;
  }

  /** True once a LOGIN or AUTHENTICATE succeeded (or the greeting was PREAUTH). */
  get authenticated(): boolean {
    return this.done;
  }

  // Runs for every frame: no garbage when there is nothing to annotate.
  observe(frame: Frame): readonly Annotation[] {
    return frame.direction === 'client' ? this.observeClient(frame) : this.observeServer(frame);
  }

  private observeClient(frame: Frame): readonly Annotation[] {
    const st = this.state;
    if (frame.kind === 'command' && frame.tag !== undefined) {
      const tag = boundedCopy(frame.tag, STORED_STRING_LIMITS.tag);
      if (frame.verb === 'LOGIN') {
        this.state = { kind: 'login', tag };
        return [phase('auth-started', { tag, method: 'LOGIN' })];
      }
      if (frame.verb === 'AUTHENTICATE') {
        const [name = '', initial] = commandArguments(frame);
        const mechanism = boundedCopy(name.toUpperCase(), STORED_STRING_LIMITS.verb);
        const initialResponse = initial !== undefined;
        this.state = { kind: 'sasl', tag, mechanism, initialResponse, rounds: 0, cancelled: false };
        this.decoder = saslDecoderFor(mechanism);
        const out: Annotation[] = [phase('auth-started', { tag, method: 'AUTHENTICATE', mechanism, saslIr: initialResponse })];
        if (initial !== undefined && !lineTruncated(frame)) out.push(...this.decode('client', tag, 0, initial));
        return out;
      }
      return NO_ANNOTATIONS;
    }
    if (frame.kind === 'sasl' && st.kind === 'sasl' && frame.tag === st.tag) {
      // RFC 3501 6.2.2: a line of a single "*" cancels the exchange.
      if (firstLine(frame) === '*') {
        st.cancelled = true;
        return [phase('auth-cancelled', { tag: st.tag, round: st.rounds })];
      }
      const out: Annotation[] = [phase('auth-response', { tag: st.tag, round: st.rounds })];
      if (!lineTruncated(frame)) out.push(...this.decode('client', st.tag, st.rounds, firstLine(frame)));
      return out;
    }
    return NO_ANNOTATIONS;
  }

  /**
   * One SASL message decoded as a `sasl` phase: what the mechanism's decoder shows of it, secrets
   * masked (sasl/). Nothing for a mechanism without a decoder; `base64: false` when it is not base64,
   * `decoded: false` when it is longer than SASL_LINE_MAX (shown raw, or masked for the client).
   */
  private decode(from: 'client' | 'server', tag: string, round: number, text: string): readonly Annotation[] {
    const decoder = this.decoder;
    if (decoder === undefined) return NO_ANNOTATIONS;
    if (from === 'client' && text === '*') return NO_ANNOTATIONS;
    const bytes = decodeSaslBase64(text);
    const base = { tag, from, round };
    if (bytes === 'not-base64') return [phase('sasl', { ...base, base64: false })];
    if (bytes === 'too-long') return [phase('sasl', { ...base, decoded: false, over: SASL_LINE_MAX })];
    const detail = from === 'client' ? decoder.client(round, bytes) : decoder.server(round, bytes);
    return detail === undefined ? NO_ANNOTATIONS : [phase('sasl', { ...base, ...detail })];
  }

  private observeServer(frame: Frame): readonly Annotation[] {
    const st = this.state;
    if (frame.kind === 'greeting' && frame.verb === 'PREAUTH') {
      this.done = true;
      return [phase('auth-succeeded', { method: 'PREAUTH' })];
    }
    if (st.kind === 'none') return NO_ANNOTATIONS;
    if (frame.kind === 'continuation' && st.kind === 'sasl') {
      st.rounds += 1;
      // `+` alone or `+ ` with nothing after it is an empty challenge (PLAIN's first step).
      const out: Annotation[] = [phase('auth-challenge', { tag: st.tag, round: st.rounds, empty: firstLine(frame).trim() === '+' })];
      const data = firstLine(frame).slice(2);
      if (data.trim() !== '' && !lineTruncated(frame)) out.push(...this.decode('server', st.tag, st.rounds, data));
      return out;
    }
    if (frame.kind !== 'tagged' || frame.tag !== st.tag) return NO_ANNOTATIONS;
    this.state = { kind: 'none' };
    this.decoder = undefined;
    const detail = st.kind === 'login'
      ? { tag: st.tag, method: 'LOGIN' as const }
      : { tag: st.tag, method: 'AUTHENTICATE' as const, mechanism: st.mechanism, rounds: st.rounds };
    if (frame.verb === 'OK') {
      this.done = true;
      return [phase('auth-succeeded', detail)];
    }
    const code = responseCode(frame);
    return [phase('auth-failed', {
      ...detail, status: frame.verb ?? '', ...(code !== undefined ? { code: code.split(' ')[0] } : {}),
      ...(st.kind === 'sasl' && st.cancelled ? { cancelled: true } : {}),
    })];
  }
}

/** True when the frame's first line was longer than the text kept: its SASL data is not all there. */
function lineTruncated(frame: Frame): boolean {
  const first = frame.parts[0];
  return first?.type === 'line' && first.line.truncated;
}
