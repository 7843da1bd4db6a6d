import { MASK } from '../secret-mask';
import { saslText, saslValue } from './sasl-base64';
import type { SaslDecoder, SaslDetail } from './sasl-decoder';

/** PLAIN (RFC 4616): `authzid NUL authcid NUL password`; the user names shown, the password masked. */
export class PlainDecoder implements SaslDecoder {
  client(_round: number, payload: Buffer): SaslDetail | undefined {
    const fields = saslText(payload).split('\0');
    if (fields.length !== 3) return { step: 'client-response', wellFormed: false };
    const detail: SaslDetail = { step: 'client-response', user: saslValue(fields[1]), password: MASK };
    if (fields[0] !== '') detail.authzid = saslValue(fields[0]);
    return detail;
  }

  server(): SaslDetail | undefined {
    return undefined;
  }
}

/**
 * LOGIN (draft-murchison-sasl-login): the server prompts `Username:` then `Password:`, the client
 * answers each; the user name is shown, the password masked. The client's first answer (round 0
 * with SASL-IR, else round 1) is the user name.
 */
export class LoginDecoder implements SaslDecoder {
  private answers = 0;

  client(_round: number, payload: Buffer): SaslDetail | undefined {
    this.answers += 1;
    return this.answers === 1
      ? { step: 'username', user: saslValue(saslText(payload)) }
      : { step: 'password', password: MASK };
  }

  server(_round: number, payload: Buffer): SaslDetail | undefined {
    return { step: 'prompt', prompt: saslValue(saslText(payload)) };
  }
}

/** CRAM-MD5 (RFC 2195): the server's challenge shown, the client's `user digest` with the digest masked. */
export class CramMd5Decoder implements SaslDecoder {
  client(_round: number, payload: Buffer): SaslDetail | undefined {
    const text = saslText(payload);
    const sp = text.lastIndexOf(' ');
    if (sp <= 0) return { step: 'client-response', wellFormed: false };
    return { step: 'client-response', user: saslValue(text.slice(0, sp)), digest: MASK };
  }

  server(_round: number, payload: Buffer): SaslDetail | undefined {
    return { step: 'server-challenge', challenge: saslValue(saslText(payload)) };
  }
}
