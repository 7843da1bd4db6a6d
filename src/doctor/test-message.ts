import { randomBytes } from 'node:crypto';

/** The small message doctor appends to measure push latency, and its Message-ID to find it again. */
export function testMessage(): { messageId: string; bytes: Buffer } {
  const messageId = `<imapdbg-doctor-${randomBytes(8).toString('hex')}@imapdbg.invalid>`;
  const text = [
    'From: imapdbg doctor <doctor@imapdbg.invalid>',
    'To: imapdbg doctor <doctor@imapdbg.invalid>',
    'Subject: imapdbg doctor push test (deleted right after the test)',
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'imapdbg doctor appended this message to time push notifications and deletes it afterwards.',
    '',
  ].join('\r\n');
  return { messageId, bytes: Buffer.from(text, 'latin1') };
}
