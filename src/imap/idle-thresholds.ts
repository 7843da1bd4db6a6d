/** The time limits of the IDLE timing and push findings, in µs (options of `lint` and `proxy`). */
export interface IdleThresholds {
  /** An IDLE with no byte either way for longer is at risk from NAT/firewall timeouts (`--idle-silent`). */
  silentUs: number;
  /** DONE sent and no tagged response for longer (`--done-timeout`). */
  doneTimeoutUs: number;
  /** IDLE ended and no new IDLE nor any command for longer: the client hears nothing (`--push-gap`). */
  pushGapUs: number;
  /** An IDLE ended by the client, with no update, shorter than this counts as churn (`--idle-churn`). */
  churnUs: number;
  /** Churn is flagged after this many such IDLEs in a row. */
  churnCount: number;
  /** A change no idling session of its mailbox hears about within this is flagged (`--push-timeout`). */
  pushTimeoutUs: number;
}

const SECOND = 1_000_000;

export const DEFAULT_IDLE_THRESHOLDS: Readonly<IdleThresholds> = {
  silentUs: 10 * 60 * SECOND,
  doneTimeoutUs: 30 * SECOND,
  pushGapUs: 60 * SECOND,
  churnUs: 30 * SECOND,
  churnCount: 5,
  pushTimeoutUs: 60 * SECOND,
};

const UNIT_US: Readonly<Record<string, number>> = { ms: 1000, s: SECOND, m: 60 * SECOND, h: 3600 * SECOND };

/** `500ms`, `30s`, `10m`, `1h` (a bare number is seconds) in µs; undefined when it is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const us = Math.round(Number(m[1]) * UNIT_US[m[2] ?? 's']);
  return us > 0 && Number.isSafeInteger(us) ? us : undefined;
}
