import type { DoctorItem, ItemId, Verdict } from './report';

/** Title and source of each item. */
const META: Record<ItemId, { title: string; rfc: string }> = {
  'login': { title: 'login', rfc: 'RFC 3501 6.2.3' },
  'idle-before-login': { title: 'IDLE advertised before login', rfc: 'RFC 2177 1' },
  'idle-after-login': { title: 'IDLE advertised after login', rfc: 'RFC 2177 1' },
  'idle-selected': { title: 'IDLE in selected state (to "+")', rfc: 'RFC 2177 3' },
  'done-response': { title: 'DONE to tagged OK', rfc: 'RFC 2177 3' },
  'idle-authenticated': { title: 'IDLE in authenticated state', rfc: 'RFC 9051 6.3.13' },
  'command-during-idle': { title: 'command sent during IDLE', rfc: 'RFC 2177 3' },
  'push-latency': { title: 'push latency (APPEND OK to EXISTS)', rfc: 'RFC 2177 3' },
  'notify': { title: 'NOTIFY (many mailboxes, one connection)', rfc: 'RFC 5465' },
  'keepalive': { title: 'keepalives during a silent IDLE', rfc: 'RFC 2177 3' },
  'idle-timeout': { title: 'IDLE kept for 29 minutes', rfc: 'RFC 2177 3, RFC 3501 5.4' },
};

export function item(id: ItemId, verdict: Verdict, value: string, ms?: number): DoctorItem {
  return { id, ...META[id], verdict, value, ...(ms === undefined ? {} : { ms: Math.round(ms * 10) / 10 }) };
}
