import { ConversationFramer } from '../../imap/conversation-framer';
import type { ReadProgress } from '../capture-error';
import { secretRanges } from '../../imap/secret-mask';
import { readPcapngCapture } from './pcapng-capture-reader';

/**
 * Where the secrets lie in the delivered streams (what imapdbg wrote to each peer in a session it
 * changed) of the given sessions, keyed `session/direction`, as [start, end) stream offsets. The
 * recorded frames describe the wire stream, whose offsets differ once imapdbg dropped, injected or
 * replaced bytes, so the delivered bytes are framed again here (LOGIN passwords and AUTHENTICATE
 * data are found by the same framer that marks them live). Memory: a framer per such session,
 * bounded like the proxy's.
 */
export async function deliveredSecretRanges(input: string, sessions: ReadonlySet<number>,
  onProgress?: ReadProgress): Promise<Map<string, Array<[number, number]>>> {
  const ranges = new Map<string, Array<[number, number]>>();
  if (sessions.size === 0) return ranges;
  const framers = new Map<number, ConversationFramer>();
  await readPcapngCapture(input, (event) => {
    if (event.type === 'session-close') { framers.delete(event.session); return; }
    if (event.type !== 'data' || event.layer !== 'delivered' || !sessions.has(event.session)) return;
    let framer = framers.get(event.session);
    if (!framer) {
      framer = new ConversationFramer(event.session, (frame) => {
        if (frame.secrets.length === 0) return;
        const key = `${frame.session}/${frame.direction}`;
        ranges.set(key, [...(ranges.get(key) ?? []), ...secretRanges(frame).map((r): [number, number] => [r.start, r.end])]);
      });
      framers.set(event.session, framer);
    }
    framer.push(event.direction, event.bytes, event.timeUs);
  }, { onProgress });
  return ranges;
}
