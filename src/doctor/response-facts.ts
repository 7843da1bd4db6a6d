import type { Incoming } from './imap-client';

/** Capabilities named in a `* CAPABILITY` response or a `[CAPABILITY ...]` code, upper case. */
export function capabilitiesIn(responses: Incoming[]): Set<string> | undefined {
  for (const r of responses) {
    const m = /^\* CAPABILITY (.*)$/i.exec(r.text) ?? /\[CAPABILITY ([^\]]*)\]/i.exec(r.text);
    if (m) return new Set(m[1].trim().split(/\s+/).map((c) => c.toUpperCase()));
  }
  return undefined;
}

/** The UIDs of `[APPENDUID validity uids]` (RFC 4315 3); a uid-set like `7` or `7:9`. */
export function appendUids(text: string): number[] | undefined {
  const m = /\[APPENDUID \d+ ([\d:,]+)\]/i.exec(text);
  if (!m) return undefined;
  const uids: number[] = [];
  for (const range of m[1].split(',')) {
    const [a, b] = range.split(':').map(Number);
    for (let u = a; u <= (b ?? a) && uids.length < 100; u++) uids.push(u);
  }
  return uids;
}

/** The number of `* N EXISTS`, if `text` is one. */
export function existsCount(text: string): number | undefined {
  const m = /^\* (\d+) EXISTS\b/i.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The UIDs of a `* SEARCH` response. */
export function searchUids(responses: Incoming[]): number[] {
  const out: number[] = [];
  for (const r of responses) {
    const m = /^\* SEARCH\b(.*)$/i.exec(r.text);
    if (m) for (const n of m[1].trim().split(/\s+/)) if (/^\d+$/.test(n)) out.push(Number(n));
  }
  return out;
}

/** Mailboxes of `* LIST` responses that can be selected (no \Noselect / \NonExistent). */
export function selectableMailboxes(responses: Incoming[]): number {
  return responses.filter((r) => /^\* LIST \(/i.test(r.text) && !/\\(Noselect|NonExistent)\b/i.test(r.text)).length;
}
