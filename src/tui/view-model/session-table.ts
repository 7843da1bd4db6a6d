import type { ProxyEvent, SessionEnd, SessionInfo } from '../../imap/events';
import type { Frame } from '../../imap/frame';
import { SessionIdentity } from './session-identity';

/** One row of the sessions screen. */
export interface SessionSummary {
  info: SessionInfo;
  /** TLS version per leg, from `tls` events. */
  tls: { client?: string; server?: string };
  identity: SessionIdentity;
  /** Bytes each way as forwarded (wire layer, after TLS). */
  bytes: { client: number; server: number };
  frames: number;
  findings: number;
  closed?: { timeUs: number; end: SessionEnd };
  /** Time of the last event of the session. */
  lastUs: number;
}

/** All sessions, in the order they opened. Frames of a session seen before its open event get a placeholder. */
export class SessionTable {
  private readonly byId = new Map<number, SessionSummary>();
  readonly list: SessionSummary[] = [];

  get(id: number): SessionSummary | undefined {
    return this.byId.get(id);
  }

  /** Update from one event. */
  handle(event: ProxyEvent): void {
    switch (event.type) {
      case 'session-open': {
        const known = this.byId.get(event.session.id);
        if (known) known.info = event.session;
        else this.ensure(event.session.id, event.session);
        return;
      }
      case 'data': {
        if (event.layer !== 'wire') return;
        const s = this.ensure(event.session);
        s.bytes[event.direction] += event.bytes.length;
        s.lastUs = Math.max(s.lastUs, event.timeUs);
        return;
      }
      case 'frame': this.frame(event.frame); return;
      case 'finding': {
        const s = this.ensure(event.session);
        s.findings += 1;
        return;
      }
      case 'tls': {
        const s = this.ensure(event.session);
        s.tls[event.tls.leg] = event.tls.version;
        return;
      }
      case 'session-close': {
        const s = this.ensure(event.session);
        s.closed = { timeUs: event.timeUs, end: event.end };
        s.bytes = { ...event.bytes };
        s.lastUs = Math.max(s.lastUs, event.timeUs);
        return;
      }
      case 'intervention':
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  private frame(frame: Frame): void {
    const s = this.ensure(frame.session);
    s.frames += 1;
    s.findings += frame.annotations.filter((a) => a.kind === 'finding').length;
    s.identity.observe(frame);
    s.lastUs = Math.max(s.lastUs, frame.endUs);
  }

  private ensure(id: number, info?: SessionInfo): SessionSummary {
    let s = this.byId.get(id);
    if (!s) {
      s = {
        info: info ?? { id, startUs: 0, client: '?', upstream: '?', listen: '?' },
        tls: {}, identity: new SessionIdentity(), bytes: { client: 0, server: 0 }, frames: 0, findings: 0,
        lastUs: info?.startUs ?? 0,
      };
      this.byId.set(id, s);
      this.list.push(s);
    }
    return s;
  }
}
