import { CAPTURE_VERSION, type CaptureRecord } from './format';

/**
 * Upgrades records of older capture versions to the current one, a step per version
 * (as mitmproxy's io/compat.py chains convert_19_20, convert_20_21). Version 2 only added record
 * kinds (`change`, the `d` data layer), so a version 1 record is a version 2 record as it is.
 */
const STEPS: Readonly<Record<number, (record: CaptureRecord) => CaptureRecord>> = {
  1: (record) => record,
};

export function upgradeRecord(record: CaptureRecord, fromVersion: number): CaptureRecord {
  let r = record;
  for (let v = fromVersion; v < CAPTURE_VERSION; v++) {
    const step = STEPS[v];
    if (!step) throw new Error(`no upgrade from capture format version ${v}`);
    r = step(r);
  }
  return r;
}
