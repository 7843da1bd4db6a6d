// A relay that records plaintext on a TLS hop, so that "the bytes each peer exchanged" can be
// checked around a TLS-intercepting imapdbg: a plain client -> tap -> TLS to imapdbg, or
// imapdbg -> TLS into the tap -> plain to Dovecot. Independent of the code under test.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { startRelay as relay, type RecordingTap } from '../harness/recording-tap';

/** Accept plain, connect with TLS (trusting `ca`) to 127.0.0.1:targetPort, record plaintext. */
export function startTlsClientTap(targetPort: number, ca: string, servername = 'localhost'): Promise<RecordingTap> {
  return relay((onReady) => {
    const s = tls.connect({ host: '127.0.0.1', port: targetPort, ca, servername });
    s.once('secureConnect', () => onReady());
    return s;
  }, undefined);
}

/** Accept TLS with `key`/`cert`, connect plain to 127.0.0.1:targetPort, record plaintext. */
export function startTlsServerTap(targetPort: number, key: string, cert: string): Promise<RecordingTap> {
  return relay((onReady) => {
    const s = net.connect({ host: '127.0.0.1', port: targetPort });
    s.once('connect', () => onReady());
    return s;
  }, { key, cert });
}

/** The distinct client randoms (second field) of SSLKEYLOGFILE lines, and the labels seen. */
export function keyLogSummary(text: string): { randoms: Set<string>; labels: Set<string> } {
  const randoms = new Set<string>();
  const labels = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+) ([0-9a-f]{64}) [0-9a-f]+$/.exec(line);
    if (!m) continue;
    labels.add(m[1]);
    randoms.add(m[2]);
  }
  return { randoms, labels };
}
