import type { Direction, Frame } from '../imap/frame';
import { isCompressBoundary } from '../imap/compress-tracker';
import { RULES } from '../imap/lint/rule-catalog';
import { nowUs } from './clock';
import type { ProxySession, SessionLayer } from './proxy-session';
import { InflateError, RawInflater } from './raw-inflater';

/**
 * COMPRESS=DEFLATE (RFC 4978), live. After the server's tagged OK to `COMPRESS DEFLATE` both
 * directions carry raw DEFLATE: the proxy keeps forwarding (and recording, as `wire` data) the
 * compressed bytes unchanged, and inflates a copy of each direction for the session model, recorded
 * as `inflated` data, so the frames stay readable. The client's direction switches at the same
 * point: a client must not send anything between COMPRESS and its tagged response, and compresses
 * everything after it.
 *
 * Inflation is synchronous (see RawInflater) so that frames keep the order in which bytes were read.
 * A stream that fails to inflate is reported once; its bytes are still forwarded, only no longer framed.
 */
export class CompressLayer implements SessionLayer {
  private active = false;

  isBoundary(frame: Frame): boolean {
    return !this.active && isCompressBoundary(frame);
  }

  handle(session: ProxySession, _frame: Frame, direction: Direction, rest: Buffer): boolean {
    this.active = true;
    for (const d of ['client', 'server'] as const) session.decodeWith(d, inflating(session, d));
    // The rest of the chunk that carried the OK is already compressed (the server's first DEFLATE bytes).
    if (rest.length > 0) session.receive(direction, rest);
    return true;
  }
}

/** A decoder for one direction: inflate each wire chunk and hand the model the result. */
function inflating(session: ProxySession, direction: Direction): (chunk: Buffer, timeUs: number) => void {
  let timeUs = 0;
  let failed = false;
  const inflater = new RawInflater((bytes) => session.receiveDecoded(direction, bytes, timeUs));
  return (chunk, chunkUs) => {
    if (failed) return;
    timeUs = chunkUs;
    try {
      inflater.write(chunk);
    } catch (err) {
      failed = true;
      const rule = RULES['compress-inflate-failed'];
      const why = err instanceof InflateError ? err.message : String(err);
      session.reportFinding({ level: rule.level, code: 'compress-inflate-failed', rfc: rule.rfc,
        message: `the ${direction}'s DEFLATE stream does not inflate after ${inflater.inflated} bytes (${why}); its bytes are still forwarded, no longer framed` }, nowUs());
    }
  };
}
