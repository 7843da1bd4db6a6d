import type { Annotation, Frame } from './frame';
import { commandArguments, pairedCommand, responseCode } from './frame-facts';
import { NO_ANNOTATIONS } from './no-results';
import { phaseMaker, type PhaseAnnotationOf, type PhaseSpecs } from './phase-detail';
import type { FrameAnnotator } from './session-model';

/** The COMPRESS phases and their detail fields. */
export const COMPRESS_PHASES = {
  'compress-requested': { tag: 'string', mechanism: 'string' },
  'compress-active': { tag: 'string', mechanism: 'string' },
  'compress-refused': { tag: 'string', status: 'string', code: 'string?' },
} as const satisfies PhaseSpecs;

/** A COMPRESS phase annotation (CompressTracker). */
export type CompressPhaseAnnotation = PhaseAnnotationOf<typeof COMPRESS_PHASES>;

const phase = phaseMaker<typeof COMPRESS_PHASES>();

/**
 * True for the frame after which both directions are raw DEFLATE: the server's tagged OK to
 * `COMPRESS DEFLATE` (RFC 4978 3: compression starts right after the CRLF of that OK, for the
 * server at once and for the client after it has read the OK). The live proxy's COMPRESS layer and
 * the offline reframer both switch there.
 */
export function isCompressBoundary(frame: Frame): boolean {
  return frame.direction === 'server' && frame.kind === 'tagged' && frame.verb === 'OK' && pairedCommand(frame) === 'COMPRESS';
}

/**
 * Annotates COMPRESS (RFC 4978): `compress-requested` with the mechanism, then `compress-active`
 * on the OK after which the frames are read from the inflated stream, or `compress-refused` with the
 * status and response code (Dovecot answers `NO [COMPRESSIONACTIVE]` to a second COMPRESS).
 */
export class CompressTracker implements FrameAnnotator {
  private active = false;

  /** True once COMPRESS was accepted: every later byte on the wire is raw DEFLATE. */
  get compressed(): boolean {
    return this.active;
  }

  // Runs for every frame: no garbage when there is nothing to annotate.
  observe(frame: Frame): readonly Annotation[] {
    if (frame.direction === 'client') {
      if (frame.kind !== 'command' || frame.verb !== 'COMPRESS' || frame.tag === undefined) return NO_ANNOTATIONS;
      return [phase('compress-requested', { tag: frame.tag, mechanism: (commandArguments(frame)[0] ?? '').toUpperCase() })];
    }
    if (pairedCommand(frame) !== 'COMPRESS') return NO_ANNOTATIONS;
    if (isCompressBoundary(frame)) {
      this.active = true;
      return [phase('compress-active', { tag: frame.tag ?? '', mechanism: 'DEFLATE' })];
    }
    const code = responseCode(frame);
    return [phase('compress-refused', { tag: frame.tag ?? '', status: frame.verb ?? '', ...(code !== undefined ? { code } : {}) })];
  }
}
