import type { Annotation, Finding } from './frame';

/**
 * The empty results of the lint rules and trackers, shared: they run for every frame and mostly
 * find nothing, so "nothing" must cost no allocation. Frozen: a caller that pushed into one would
 * throw instead of corrupting every later result. Read them with indexed loops (or check the
 * length first): V8 does not optimize away a for-of iterator over a frozen array.
 */
export const NO_FINDINGS: readonly Finding[] = Object.freeze([]);

/** As NO_FINDINGS, for FrameAnnotator.observe. */
export const NO_ANNOTATIONS: readonly Annotation[] = Object.freeze([]);
