import type { FrameAnnotator } from './session-model';

/**
 * The annotators every session gets, live and offline alike (IDLE phases, capabilities, lint).
 * One factory so that the proxy, `lint`, `stats` and the capture reframer agree.
 */
export function defaultAnnotators(): FrameAnnotator[] {
  return [];
}
