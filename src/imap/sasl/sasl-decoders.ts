import { OAuthDecoder } from './oauth-decoder';
import type { SaslDecoder } from './sasl-decoder';
import { ScramDecoder } from './scram-decoder';
import { CramMd5Decoder, LoginDecoder, PlainDecoder } from './simple-decoders';

/** A decoder for a SASL mechanism (upper case), or undefined for one imapdbg does not read. */
export function saslDecoderFor(mechanism: string): SaslDecoder | undefined {
  switch (mechanism) {
    case 'PLAIN': return new PlainDecoder();
    case 'LOGIN': return new LoginDecoder();
    case 'CRAM-MD5': return new CramMd5Decoder();
    case 'XOAUTH2': return new OAuthDecoder('XOAUTH2');
    case 'OAUTHBEARER': return new OAuthDecoder('OAUTHBEARER');
    default:
      return /^SCRAM-SHA-(1|256|512)(-PLUS)?$/.test(mechanism) ? new ScramDecoder() : undefined;
  }
}
