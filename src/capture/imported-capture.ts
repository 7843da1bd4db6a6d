import { rmSync } from 'node:fs';
import type { Direction } from '../imap/frame';
import type { EventSink, ProxyEvent, SessionInfo } from '../imap/events';
import { PcapngCaptureWriter } from './pcapng/pcapng-capture-writer';
import { Reframer } from './reframer';

/** Bytes of one direction from an imported log, with the time they were logged. */
export interface ImportedChunk {
  direction: Direction;
  timeUs: number;
  bytes: Buffer;
}

/** What an import produced. */
export interface ImportSummary {
  frames: number;
  bytes: { client: number; server: number };
  /** Things the user should know about the result (synthetic times, lossy input, missing login). */
  notes: string[];
}

/** Where the imported bytes came from, as the session's peers. */
export interface ImportPeers {
  client: string;
  upstream: string;
}

/**
 * Runs imported bytes, chunk by chunk, through the live framing (Reframer) into a capture file of
 * one session, written as pcapng. `add` waits while the file lags (the writer's high-water mark), so an import of any
 * size holds at most a few MB; `abandon` removes the partial file when the input turns out bad.
 */
export class ImportedCaptureWriter {
  private readonly writer: PcapngCaptureWriter;
  private readonly reframer: Reframer;
  private frames = 0;
  private readonly bytes = { client: 0, server: 0 };
  private last: ImportedChunk | undefined;

  constructor(private readonly outPath: string, tool: string, private readonly startUs: number, peers: ImportPeers, overwrite: boolean) {
    this.writer = new PcapngCaptureWriter(outPath, tool, startUs, { overwrite });
    const counter: EventSink = { handle: (e: ProxyEvent) => { if (e.type === 'frame') this.frames += 1; this.writer.handle(e); } };
    this.reframer = new Reframer(counter);
    const info: SessionInfo = { id: 1, startUs, client: peers.client, upstream: peers.upstream, listen: 'import' };
    this.reframer.handle({ type: 'session-open', session: info });
  }

  async add(chunk: ImportedChunk): Promise<void> {
    if (chunk.bytes.length === 0) return;
    this.bytes[chunk.direction] += chunk.bytes.length;
    this.last = chunk;
    this.reframer.handle({ type: 'data', session: 1, direction: chunk.direction, timeUs: chunk.timeUs, bytes: chunk.bytes, layer: 'wire' });
    if (this.writer.congested) await this.writer.whenDrained();
  }

  async finish(notes: string[]): Promise<ImportSummary> {
    const last = this.last;
    this.reframer.handle({ type: 'session-close', session: 1, timeUs: last?.timeUs ?? this.startUs,
      end: { by: last?.direction === 'client' ? 'client-closed' : 'server-closed' }, bytes: { ...this.bytes }, frames: 0 });
    await this.writer.close();
    if (this.writer.error) throw new Error(`cannot write ${this.outPath}: ${this.writer.error.message}`);
    return { frames: this.frames, bytes: { ...this.bytes }, notes };
  }

  /** The input was bad: close and delete the partial capture (this writer created it). */
  async abandon(): Promise<void> {
    await this.writer.close();
    rmSync(this.outPath, { force: true });
  }
}
