import { MASK } from '../secret-mask';
import { unescapeGs2 } from './oauth-decoder';
import { saslText, saslValue } from './sasl-base64';
import type { SaslDecoder, SaslDetail } from './sasl-decoder';

/**
 * SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS forms (RFC 5802 7, RFC 7677). Shown: client-first
 * (channel-binding flag, user name, client nonce), server-first (salt, iterations, whether the
 * nonce extends the client's), client-final (channel-binding data, nonce check; the proof MASKED)
 * and server-final (the verifier MASKED, or the server's `e=` error). imapdbg does not know the
 * password, so it cannot check the verifier; it says whether one was sent.
 */
export class ScramDecoder implements SaslDecoder {
  private clientNonce: string | undefined;
  private combinedNonce: string | undefined;
  private sawServerFirst = false;

  client(_round: number, payload: Buffer): SaslDetail | undefined {
    const text = saslText(payload);
    if (text === '') return { step: 'client-ack' };
    if (!this.sawServerFirst) return this.clientFirst(text);
    const attrs = attributes(text);
    const detail: SaslDetail = { step: 'client-final' };
    const cb = attrs.get('c');
    if (cb !== undefined) {
      const header = Buffer.from(cb, 'base64').toString('latin1');
      detail.channelBinding = header.startsWith('p=') ? saslValue(header.split(',')[0].slice(2)) : header.startsWith('y') ? 'supported-not-used' : 'none';
    }
    const nonce = attrs.get('r');
    if (nonce !== undefined && this.combinedNonce !== undefined) detail.nonceMatches = nonce === this.combinedNonce;
    if (attrs.has('p')) detail.proof = MASK;
    return detail;
  }

  server(_round: number, payload: Buffer): SaslDetail | undefined {
    const text = saslText(payload);
    const attrs = attributes(text);
    if (!this.sawServerFirst && attrs.has('s')) {
      this.sawServerFirst = true;
      const detail: SaslDetail = { step: 'server-first' };
      const nonce = attrs.get('r');
      if (nonce !== undefined) {
        this.combinedNonce = nonce;
        if (this.clientNonce !== undefined) detail.nonceExtendsClient = nonce.startsWith(this.clientNonce) && nonce.length > this.clientNonce.length;
      }
      detail.salt = saslValue(attrs.get('s') ?? '');
      const iterations = Number(attrs.get('i'));
      if (Number.isSafeInteger(iterations)) detail.iterations = iterations;
      return detail;
    }
    if (attrs.has('v')) return { step: 'server-final', verifier: MASK };
    if (attrs.has('e')) return { step: 'server-final', error: saslValue(attrs.get('e') ?? '') };
    return { step: 'server-challenge' };
  }

  private clientFirst(text: string): SaslDetail {
    // gs2-header: cbind-flag "," [authzid] "," then n=user,r=nonce (RFC 5802 7).
    const parts = text.split(',');
    const flag = parts[0] ?? '';
    const detail: SaslDetail = { step: 'client-first' };
    detail.channelBinding = flag.startsWith('p=') ? saslValue(flag.slice(2)) : flag === 'y' ? 'supported-not-used' : 'none';
    const authzid = parts[1] ?? '';
    if (authzid.startsWith('a=')) detail.authzid = saslValue(unescapeGs2(authzid.slice(2)));
    const attrs = attributes(parts.slice(2).join(','));
    const user = attrs.get('n');
    if (user !== undefined) detail.user = saslValue(unescapeGs2(user));
    const nonce = attrs.get('r');
    if (nonce !== undefined) {
      this.clientNonce = nonce;
      detail.nonce = saslValue(nonce);
    }
    return detail;
  }
}

/**
 * True for a server continuation payload (the base64 after `+ `) that is a SCRAM server-final
 * verifier, `v=...` (RFC 5802 7): proof of the password like the client's proof, so its raw line
 * is masked too. Checked on the raw line, whatever the mechanism: no other mechanism's challenge
 * decodes to text starting with `v=`... except by chance, which only masks a line more.
 */
export function isScramServerFinalLine(payload: string): boolean {
  if (payload.length < 4 || payload.length > 4096 || !/^[A-Za-z0-9+/]+={0,2}$/.test(payload)) return false;
  return Buffer.from(payload.slice(0, 4), 'base64').toString('latin1').startsWith('v=');
}

/** SCRAM attributes `a=value` separated by commas; the first of each name wins. */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of text.split(',')) {
    if (item.length < 2 || item[1] !== '=') continue;
    if (!out.has(item[0])) out.set(item[0], item.slice(2));
  }
  return out;
}
