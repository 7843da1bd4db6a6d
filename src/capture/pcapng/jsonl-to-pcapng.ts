import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import { readJsonlCapture as readCapture } from '../capture-reader';
import { CaptureError, type ReadProgress } from '../capture-error';
import { captureFormatOf } from './capture-format-sniffer';
import { PcapngCaptureWriter } from './pcapng-capture-writer';

export interface ConvertSummary {
  events: number;
  dataBytes: number;
  /** The input's last record was cut off; everything before it was converted. */
  truncated: boolean;
}

/** The JSON Lines header of `path`: its creation time and tool (the first line, at most 64 KiB). */
function jsonlHeader(path: string): { createdUs: number; tool: string } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const got = readSync(fd, buf, 0, buf.length, 0);
    const line = buf.subarray(0, got).toString('utf8').split('\n')[0];
    const h = JSON.parse(line) as { createdUs?: unknown; tool?: unknown };
    return { createdUs: typeof h.createdUs === 'number' ? h.createdUs : 0, tool: typeof h.tool === 'string' ? h.tool : 'imapdbg' };
  } catch {
    throw new CaptureError(`${path}: not an imapdbg JSON Lines capture (line 1 is not a JSON header record)`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Converts a JSON Lines capture (format v1) into a pcapng capture, event by event with the writer's
 * backpressure, so memory stays bounded whatever the size. The output keeps the input's creation
 * time; `tool` names the converter. A failed conversion removes the partial output.
 */
export async function convertJsonlToPcapng(input: string, output: string, tool: string, overwrite: boolean,
  onProgress?: ReadProgress): Promise<ConvertSummary> {
  const kind = captureFormatOf(input);
  if (kind === 'pcapng') throw new CaptureError(`${input} is already a pcapng capture`);
  if (kind !== 'jsonl') {
    // Let the reader name the problem (missing file, not a capture...) in its own words.
    await readCapture(input, () => undefined);
    throw new CaptureError(`${input}: not an imapdbg capture`);
  }
  const header = jsonlHeader(input);
  const writer = new PcapngCaptureWriter(output, `${tool} (converted from ${header.tool})`, header.createdUs, { overwrite });
  const summary: ConvertSummary = { events: 0, dataBytes: 0, truncated: false };
  try {
    const result = await readCapture(input, async (event) => {
      writer.handle(event);
      summary.events += 1;
      if (event.type === 'data') summary.dataBytes += event.bytes.length;
      if (writer.congested) await writer.whenDrained();
      if (writer.error) throw new CaptureError(`cannot write ${output}: ${writer.error.message}`);
    }, onProgress);
    summary.truncated = result.truncated;
    await writer.close();
    if (writer.error) throw new CaptureError(`cannot write ${output}: ${writer.error.message}`);
    return summary;
  } catch (err) {
    await writer.close();
    try { unlinkSync(output); } catch { /* already gone */ }
    throw err;
  }
}
