/**
 * pcapng block and option layout (IETF draft-ietf-opsawg-pcapng), little-endian, as imapdbg writes
 * it: a Section Header Block, Interface Description Blocks, Enhanced Packet Blocks and custom
 * blocks. Every block is `type, total length, body, total length`, padded to 32 bits, so a reader can
 * walk the file forwards (leading length) and backwards (trailing length).
 */

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_EPB = 0x00000006;
/** Custom block that may be copied by tools that rewrite the file (editcap): our metadata. */
export const BLOCK_CUSTOM_COPY = 0x00000bad;
/** Custom block that must not be copied: our index, whose file offsets a rewrite invalidates. */
export const BLOCK_CUSTOM_NOCOPY = 0x40000bad;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const OPT_END = 0;
export const OPT_COMMENT = 1;
/** Custom option, binary, may be copied (value: 4-byte PEN, then our bytes). */
export const OPT_CUSTOM_BINARY_COPY = 2989;
export const OPT_SHB_USERAPPL = 4;
export const OPT_IF_NAME = 2;
export const OPT_IF_DESCRIPTION = 3;

export const LINKTYPE_ETHERNET = 1;

/**
 * Private Enterprise Number that marks imapdbg's custom blocks and options. imapdbg has no PEN of its
 * own (IANA assigns them to organisations; none is registered for this project), so it uses 32473,
 * the PEN that RFC 5612 reserves for documentation and examples: no vendor ships data under it, so
 * it cannot be mistaken for another vendor's blocks. Our payloads also start with PAYLOAD_MAGIC, so a
 * block from someone else using 32473 is recognised as foreign and skipped.
 */
export const IMAPDBG_PEN = 32473;
export const PAYLOAD_MAGIC = Buffer.from('IDBG', 'latin1');

/** What an imapdbg custom payload holds (the byte after PAYLOAD_MAGIC). */
export const PAYLOAD_HEADER = 0x48; // 'H': the capture header record (SHB option)
export const PAYLOAD_RECORDS = 0x4d; // 'M': metadata records, JSON, one per line
export const PAYLOAD_INDEX = 0x58; // 'X': the trailing index

/** Most bytes one block may claim before a reader refuses it (ours are < 70 KiB; tshark's snaplen is 256 KiB). */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** An option: code, length, value, padding. */
export function encodeOption(code: number, value: Buffer): Buffer {
  const out = Buffer.alloc(4 + pad4(value.length));
  out.writeUInt16LE(code, 0);
  out.writeUInt16LE(value.length, 2);
  value.copy(out, 4);
  return out;
}

/** Bytes before an imapdbg payload's body: PEN, magic, kind, format version. */
const PAYLOAD_HEAD = 10;

function writePayloadHead(out: Buffer, at: number, kind: number, version: number): void {
  out.writeUInt32LE(IMAPDBG_PEN, at);
  PAYLOAD_MAGIC.copy(out, at + 4);
  out[at + 8] = kind;
  out[at + 9] = version;
}

/** Bytes of an option whose value is an imapdbg payload with a body of `byteLength` bytes, padding included. */
export function imapdbgOptionLength(byteLength: number): number {
  return 4 + pad4(PAYLOAD_HEAD + byteLength);
}

/**
 * Writes, at `at`, the head of an option whose value is an imapdbg payload with a body of
 * `byteLength` bytes: option code and length, then the payload head. Returns where the body goes;
 * the caller writes the body and zeroes the padding (imapdbgOptionLength in all).
 */
export function writeImapdbgOptionHead(out: Buffer, at: number, code: number, kind: number, version: number, byteLength: number): number {
  out.writeUInt16LE(code, at);
  out.writeUInt16LE(PAYLOAD_HEAD + byteLength, at + 2);
  writePayloadHead(out, at + 4, kind, version);
  return at + 4 + PAYLOAD_HEAD;
}

/** The imapdbg payload of a custom block or option: PEN, magic, kind, format version, then `body`. */
export function imapdbgPayload(kind: number, version: number, body: Buffer): Buffer {
  const out = Buffer.alloc(PAYLOAD_HEAD + body.length);
  writePayloadHead(out, 0, kind, version);
  body.copy(out, PAYLOAD_HEAD);
  return out;
}

/** Parses an imapdbg payload (PEN first); undefined when it is someone else's. */
export function parseImapdbgPayload(value: Buffer): { kind: number; version: number; body: Buffer } | undefined {
  if (value.length < PAYLOAD_HEAD || value.readUInt32LE(0) !== IMAPDBG_PEN || !value.subarray(4, 8).equals(PAYLOAD_MAGIC)) return undefined;
  return { kind: value[8], version: value[9], body: value.subarray(PAYLOAD_HEAD) };
}

/** A whole block around `body` (body must already be padded to 32 bits). */
export function encodeBlock(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

/** Options followed by opt_endofopt; empty when there are none. */
export function encodeOptions(options: Buffer[]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  return Buffer.concat([...options, Buffer.alloc(4)]);
}

export function encodeSectionHeader(options: Buffer[]): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  // Section length unknown (-1): the file is written as it happens.
  fixed.writeInt32LE(-1, 8);
  fixed.writeInt32LE(-1, 12);
  return encodeBlock(BLOCK_SHB, Buffer.concat([fixed, encodeOptions(options)]));
}

/** An Ethernet interface with no snap length limit and the default microsecond resolution. */
export function encodeInterface(options: Buffer[]): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(LINKTYPE_ETHERNET, 0);
  fixed.writeUInt32LE(0, 4);
  return encodeBlock(BLOCK_IDB, Buffer.concat([fixed, encodeOptions(options)]));
}

export function encodeCustomBlock(type: number, payload: Buffer): Buffer {
  return encodeBlock(type, Buffer.concat([payload, Buffer.alloc(pad4(payload.length) - payload.length)]));
}

/** Walks the options in `buf` (from its start to its end), calling `each` until opt_endofopt. */
export function forEachOption(buf: Buffer, each: (code: number, value: Buffer) => void): void {
  let at = 0;
  while (at + 4 <= buf.length) {
    const code = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (code === OPT_END) return;
    if (at + 4 + len > buf.length) return; // a malformed option list ends here
    each(code, buf.subarray(at + 4, at + 4 + len));
    at += 4 + pad4(len);
  }
}
