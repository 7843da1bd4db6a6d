/**
 * What a SASL decoder may show of one step of an exchange. Values are peer text, bounded
 * (sasl-base64.ts); secrets (passwords, tokens, proofs, digests) are never put in a detail, and
 * neither is their length: a detail shows `MASK` in their place.
 */
export type SaslDetail = Record<string, string | number | boolean>;

/** One mechanism's reading of the exchange; decoders keep what later steps need (a SCRAM nonce). */
export interface SaslDecoder {
  /** The client's response in round `round` (0: the SASL-IR initial response), decoded from base64. */
  client(round: number, payload: Buffer): SaslDetail | undefined;
  /** The server's challenge in round `round` (from 1), decoded from base64. */
  server(round: number, payload: Buffer): SaslDetail | undefined;
}
