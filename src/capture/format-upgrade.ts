import { CAPTURE_VERSION, type CaptureRecord } from './format';

/**
 * Upgrades records of older capture versions to the current one, a step per version
 * (as mitmproxy's io/compat.py chains convert_19_20, convert_20_21). Version 1 is the first
 * format, so the chain is empty; a version 2 adds `1: convertV1toV2` here and keeps a v1 fixture.
 */
const STEPS: Readonly<Record<number, (record: CaptureRecord) => CaptureRecord>> = {};

export function upgradeRecord(record: CaptureRecord, fromVersion: number): CaptureRecord {
  let r = record;
  for (let v = fromVersion; v < CAPTURE_VERSION; v++) {
    const step = STEPS[v];
    if (!step) throw new Error(`no upgrade from capture format version ${v}`);
    r = step(r);
  }
  return r;
}
