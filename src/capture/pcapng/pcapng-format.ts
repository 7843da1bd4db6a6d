/**
 * The pcapng capture as imapdbg writes it (version PCAPNG_CAPTURE_VERSION):
 *
 *   SHB   shb_userappl = tool; custom option (2989, PEN 32473) "IDBG" 'H' v: JSON header record
 *   IDB 0 Ethernet, if_name imapdbg-wire: the bytes each peer sent, as forwarded (decrypted after TLS)
 *   IDB 1 Ethernet, if_name imapdbg-inflated: COMPRESS=DEFLATE streams inflated (client port ^ 0x8000)
 *   IDB 2 Ethernet, if_name imapdbg-delivered: in sessions imapdbg changed (rules, intercept, scripts),
 *         the bytes it wrote to each peer, injected ones included (client port ^ 0xC000); the wire
 *         stream keeps what each peer sent, and the frames describe the wire stream
 *   EPB*  a synthetic TCP connection per session and layer: SYN, SYN-ACK, ACK at open; data as
 *         segments of <= 65495 bytes, PSH on the last segment of each forwarded chunk; FIN/FIN/ACK or
 *         RST as the session ended. Microsecond timestamps. Options: opt_comment = the lint findings
 *         of the frame whose last byte the segment carries; custom option 2989 "IDBG" 'M' v: metadata
 *         records (JSON lines, metadata-records.ts) of events that came before this packet; `change`
 *         records (metadata version 2) say what imapdbg changed and who asked (rule, intercept, script).
 *   CB    custom block 0x0BAD "IDBG" 'M' v: metadata records when no packet followed soon enough
 *         (a quiet half second, or the end), so Wireshark's packet list shows few of them.
 *   CB    custom block 0x40000BAD "IDBG" 'X' v: the index (session-index.ts), last block, written at close:
 *         per session its file ranges, its stream records and a seek point per MiB of each stream.
 *
 * Reading the file in order gives the events in the order they were written: the records of an EPB
 * come before its packet's data.
 */
export const PCAPNG_CAPTURE_FORMAT = 'imapdbg-pcapng';
export const PCAPNG_CAPTURE_VERSION = 1;
export const WIRE_INTERFACE = 0;
export const INFLATED_INTERFACE = 1;
export const DELIVERED_INTERFACE = 2;

export interface PcapngHeaderRecord {
  format: typeof PCAPNG_CAPTURE_FORMAT;
  version: number;
  createdUs: number;
  tool: string;
}
