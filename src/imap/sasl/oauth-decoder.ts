import { MASK } from '../secret-mask';
import { saslText, saslValue } from './sasl-base64';
import type { SaslDecoder, SaslDetail } from './sasl-decoder';

/**
 * XOAUTH2 (Google's, `user=U^Aauth=Bearer T^A^A`) and OAUTHBEARER (RFC 7628 3.1, a GS2 header
 * `n,a=U,` then `^A`-separated key=value pairs). The client's message shows the user, host, port
 * and auth scheme, never the token. The server's error challenge is base64 JSON (RFC 7628 3.2.2:
 * status, schemes, scope, openid-configuration), shown decoded field by field.
 */
export class OAuthDecoder implements SaslDecoder {
  constructor(private readonly mechanism: 'XOAUTH2' | 'OAUTHBEARER') {}

  client(_round: number, payload: Buffer): SaslDetail | undefined {
    const text = payload.toString('latin1');
    // After an error challenge the client sends a single ^A (RFC 7628 3.2.3; Gmail's XOAUTH2 takes
    // an empty line) to get the tagged NO.
    if (text === '\x01' || text === '') return { step: 'error-acknowledged' };
    const detail: SaslDetail = { step: 'client-response' };
    let pairs = text.split('\x01');
    if (this.mechanism === 'OAUTHBEARER') {
      const gs2 = pairs[0].split(',');
      const authzid = gs2.find((p) => p.startsWith('a='));
      if (authzid !== undefined) detail.user = saslValue(saslText(Buffer.from(unescapeGs2(authzid.slice(2)), 'latin1')));
      pairs = pairs.slice(1);
    }
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const key = pair.slice(0, eq).toLowerCase();
      const value = pair.slice(eq + 1);
      if (key === 'auth') {
        const sp = value.indexOf(' ');
        detail.scheme = saslValue(sp === -1 ? value : value.slice(0, sp));
        detail.token = MASK;
      } else if (key === 'user' || key === 'host' || key === 'port') {
        detail[key] = saslValue(saslText(Buffer.from(value, 'latin1')));
      }
    }
    return detail;
  }

  server(_round: number, payload: Buffer): SaslDetail | undefined {
    const text = saslText(payload);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { step: 'server-challenge', json: false };
    }
    const detail: SaslDetail = { step: 'server-error' };
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { step: 'server-challenge', json: false };
    let kept = 0;
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      // A hostile server may send thousands of keys: a few are shown.
      if (kept >= 8) {
        detail.more = true;
        break;
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      const name = saslValue(key).slice(0, 64);
      if (RESERVED.has(name) || name in detail) continue;
      detail[name] = typeof value === 'string' ? saslValue(value) : value;
      kept += 1;
    }
    return detail;
  }
}

/** GS2 names escape `,` and `=` as `=2C` and `=3D` (RFC 5801 4). */
export function unescapeGs2(name: string): string {
  return name.replace(/=2C/gi, ',').replace(/=3D/gi, '=');
}

/** Detail keys the tracker sets itself (and `__proto__`): a server's JSON does not overwrite them. */
const RESERVED = new Set(['step', 'tag', 'from', 'round', 'base64', 'more', '__proto__']);
