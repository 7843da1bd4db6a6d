// Waiting for an event that a proxy under test records into a list.
import type { ProxyEvent } from '../../src/imap/events';

/** Resolves once an event passes `pred` (polling the recorded list; a bounded test timeout ends a hang). */
export function waitForEvent(events: ProxyEvent[], pred: (e: ProxyEvent) => boolean): Promise<ProxyEvent> {
  return new Promise((resolve) => {
    const check = (): void => {
      const e = events.find(pred);
      if (e) resolve(e); else setTimeout(check, 5);
    };
    check();
  });
}
