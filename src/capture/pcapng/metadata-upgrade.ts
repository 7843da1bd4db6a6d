import { METADATA_VERSION } from './metadata-records';

/**
 * Upgrades metadata records of older pcapng capture versions to the current schema, one step per
 * version (like ../format-upgrade.ts for JSON Lines captures). Version 2 only added record kinds
 * (`change`, streams of layer `d`), so a version 1 record is a version 2 record as it is.
 * Steps take and return parsed JSON: a record is checked (recordShapeProblem) after the upgrade.
 */
const STEPS: Readonly<Record<number, (record: unknown) => unknown>> = {
  1: (record) => record,
};

export function upgradeMetadataRecord(record: unknown, fromVersion: number): unknown {
  let r = record;
  for (let v = fromVersion; v < METADATA_VERSION; v++) {
    const step = STEPS[v];
    if (!step) throw new Error(`no upgrade from pcapng metadata version ${v}`);
    r = step(r);
  }
  return r;
}
