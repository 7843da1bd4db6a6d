// Shared checks for end-to-end tests: what a capture holds, compared with what peers saw.
import assert from 'node:assert/strict';
import { readCapture } from '../../src/capture/capture-reader';
import type { Frame } from '../../src/imap/frame';
import type { ProxyEvent } from '../../src/imap/events';
import { runImapdbg } from '../harness/imapdbg-process';
import type { TapRecording } from '../harness/recording-tap';

/** All events of a capture, in order. */
export async function captureEvents(file: string): Promise<ProxyEvent[]> {
  const events: ProxyEvent[] = [];
  await readCapture(file, (e) => { events.push(e); });
  return events;
}

/** The frames of one session. */
export function sessionFrames(events: ProxyEvent[], session: number): Frame[] {
  return events.flatMap((e) => (e.type === 'frame' && e.frame.session === session ? [e.frame] : []));
}

/**
 * Require that the bytes the client saw (tap in front of imapdbg), the bytes the server saw (tap
 * behind it) and the capture's raw export of `session` are identical, both directions.
 */
export async function assertBytesTransparent(file: string, session: number, clientSide: TapRecording, serverSide: TapRecording): Promise<void> {
  const sent = Buffer.concat(clientSide.fromClient);
  const received = Buffer.concat(clientSide.fromServer);
  assert.ok(Buffer.concat(serverSide.fromClient).equals(sent), 'server did not receive exactly what the client sent');
  assert.ok(Buffer.concat(serverSide.fromServer).equals(received), 'client did not receive exactly what the server sent');
  const rawClient = await runImapdbg(['export', file, '--format', 'raw', '--session', String(session), '--direction', 'client']);
  const rawServer = await runImapdbg(['export', file, '--format', 'raw', '--session', String(session), '--direction', 'server']);
  assert.equal(rawClient.code, 0, rawClient.stderr);
  assert.equal(rawServer.code, 0, rawServer.stderr);
  assert.ok(rawClient.stdout.equals(sent), `raw export (client) differs: ${rawClient.stdout.length} vs ${sent.length} bytes`);
  assert.ok(rawServer.stdout.equals(received), `raw export (server) differs: ${rawServer.stdout.length} vs ${received.length} bytes`);
}

/** The pair annotation of a tagged response, if any. */
export function pairOf(frame: Frame): { command: string; commandSeq: number; latencyUs: number } | undefined {
  for (const a of frame.annotations) if (a.kind === 'pair') return a;
  return undefined;
}
