// The records option is encoded in one buffer (issue 10: the NOOP path with recording made four
// copies of each record); it must be byte for byte what the composed encoders give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeImapdbgTextOption, encodeOption, imapdbgPayload, OPT_CUSTOM_BINARY_COPY, PAYLOAD_RECORDS } from '../../../src/capture/pcapng/pcapng-blocks';

test('encodeImapdbgTextOption gives the bytes of encodeOption(imapdbgPayload(...)), padding included', () => {
  for (const text of ['', 'a', '{"k":"frame"}\n', 'ünïcode ✓\n', 'x'.repeat(1001)]) {
    const bytes = Buffer.byteLength(text, 'utf8');
    const composed = encodeOption(OPT_CUSTOM_BINARY_COPY, imapdbgPayload(PAYLOAD_RECORDS, 3, Buffer.from(text, 'utf8')));
    assert.deepEqual(encodeImapdbgTextOption(OPT_CUSTOM_BINARY_COPY, PAYLOAD_RECORDS, 3, text, bytes), composed, JSON.stringify(text.slice(0, 20)));
  }
});
