import { chmodSync, constants, copyFileSync, rmSync, statSync } from 'node:fs';
import { CaptureError, type ReadProgress } from '../capture-error';
import { captureFormatOf } from './capture-format-sniffer';
import { convertJsonlToPcapng } from './jsonl-to-pcapng';
import { readPcapngCapture } from './pcapng-capture-reader';
import { redactPcapng } from './pcapng-redact';
import { pseudonymizePcapng, type PseudonymizeSummary } from './pcapng-pseudonymize';

export interface PcapngExportOptions {
  /** Overwrite LOGIN passwords and AUTHENTICATE data in the packets too (a copy for a bug report). */
  redact: boolean;
  /** Also replace addresses, mailbox names and literal bodies with stable placeholders (implies `redact`). */
  pseudonymize?: boolean;
  /** Replace an existing output file. */
  overwrite: boolean;
  tool: string;
  onProgress?: ReadProgress;
}

export interface PcapngExportSummary {
  /** What was done to get there. */
  how: 'copied' | 'converted';
  /** Secret spans overwritten (with `redact`). */
  redactedSpans?: number;
  /** What `pseudonymize` replaced. */
  pseudonymized?: PseudonymizeSummary;
}

/**
 * A pcapng copy of a capture of either format: a pcapng capture is checked (read through, metadata
 * only) and copied, a JSON Lines one converted; with `redact` the copy has its secrets overwritten
 * in the packets too (pcapng-redact.ts). The output is 0600 like every capture; a failure leaves no
 * partial output behind.
 */
export async function exportPcapng(input: string, output: string, options: PcapngExportOptions): Promise<PcapngExportSummary> {
  if (sameFile(input, output)) throw new CaptureError(`${output} is the input capture itself; name another output file`);
  const kind = captureFormatOf(input);
  if (options.pseudonymize) {
    if (kind === 'pcapng') {
      const r = await pseudonymizePcapng(input, output, { overwrite: options.overwrite, onProgress: options.onProgress });
      return { how: 'copied', redactedSpans: r.secrets, pseudonymized: r };
    }
    const between = `${output}.unredacted-${process.pid}`;
    try {
      await convertJsonlToPcapng(input, between, options.tool, true, options.onProgress);
      const r = await pseudonymizePcapng(between, output, { overwrite: options.overwrite, onProgress: options.onProgress });
      return { how: 'converted', redactedSpans: r.secrets, pseudonymized: r };
    } finally {
      rmSync(between, { force: true });
    }
  }
  if (kind === 'pcapng' && !options.redact) {
    await readPcapngCapture(input, () => undefined, { data: false, onProgress: options.onProgress });
    try {
      copyFileSync(input, output, options.overwrite ? 0 : constants.COPYFILE_EXCL);
      // A copy keeps its source's mode; a capture holds raw bytes, secrets included.
      chmodSync(output, 0o600);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CaptureError(e.code === 'EEXIST' ? `cannot write ${output}: it exists (pass --force to overwrite it)` : `cannot write ${output}: ${e.code ?? e.message}`);
    }
    return { how: 'copied' };
  }
  if (kind === 'pcapng') {
    const r = await redactPcapng(input, output, { overwrite: options.overwrite, onProgress: options.onProgress });
    return { how: 'copied', redactedSpans: r.spans };
  }
  if (!options.redact) {
    await convertJsonlToPcapng(input, output, options.tool, options.overwrite, options.onProgress);
    return { how: 'converted' };
  }
  // Converted next to the output first, then redacted into it; the clear-text intermediate is removed.
  const between = `${output}.unredacted-${process.pid}`;
  try {
    await convertJsonlToPcapng(input, between, options.tool, true, options.onProgress);
    const r = await redactPcapng(between, output, { overwrite: options.overwrite, onProgress: options.onProgress });
    return { how: 'converted', redactedSpans: r.spans };
  } finally {
    rmSync(between, { force: true });
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
