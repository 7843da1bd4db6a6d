/** `--watch` durations: `90` (seconds), `30s`, `5m`, `31m`, `1h`, `1m30s`. Returns milliseconds or undefined. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!m || t === '') return undefined;
  const [h, min, s] = [m[1], m[2], m[3]].map((v) => (v === undefined ? 0 : Number(v)));
  const ms = ((h * 60 + min) * 60 + s) * 1000;
  return ms > 0 ? ms : undefined;
}

/** `850 ms`, `2.1 s`, `4m12s`: a measured time for people. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 || h > 0 ? `${m}m` : ''}${s}s`;
}
