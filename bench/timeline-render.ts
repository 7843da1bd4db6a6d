// Measures the IDLE timeline screen's render time (median of repeated renders, not a test): 1,000
// sessions each with an IDLE period and an update, and one session with 200,000 updates in one IDLE.
//   npx tsc -p tsconfig.json && node dist/bench/timeline-render.js
import { performance } from 'node:perf_hooks';
import type { Frame } from '../src/imap/frame';
import { renderScreen } from '../src/tui/render/screen-layout';
import { handleKey } from '../src/tui/view-model/key-actions';
import { TuiModel } from '../src/tui/view-model/tui-model';

const T0 = 1_700_000_000_000_000;

function frame(session: number, seq: number, direction: Frame['direction'], kind: Frame['kind'], text: string, timeUs: number): Frame {
  const words = text.split(' ');
  const tagged = kind === 'command' || kind === 'tagged';
  return { session, seq, direction, kind, timeUs, endUs: timeUs, offset: 0, length: text.length + 2,
    tag: tagged ? words[0] : undefined, verb: tagged ? words[1] : words[2],
    parts: [{ type: 'line', line: { text, length: text.length + 2, offset: 0, truncated: false, ending: 'crlf' } }], secrets: [], annotations: [] };
}

function build(sessions: number, updatesEach: number): TuiModel {
  const m = new TuiModel({ source: { mode: 'file', title: 'bench' }, revealSecrets: false, utc: true, now: () => 0 });
  for (let id = 1; id <= sessions; id++) {
    const start = T0 + id * 50_000;
    m.handle({ type: 'session-open', session: { id, startUs: start, client: '127.0.0.1:1', upstream: '127.0.0.1:2', listen: '127.0.0.1:3' } });
    let seq = 0;
    m.handle({ type: 'frame', frame: frame(id, ++seq, 'client', 'command', 'a IDLE', start + 1000) });
    for (let u = 0; u < updatesEach; u++) m.handle({ type: 'frame', frame: frame(id, ++seq, 'server', 'untagged', `* ${u} EXISTS`, start + 2000 + u * 10) });
    m.handle({ type: 'frame', frame: frame(id, ++seq, 'server', 'tagged', 'a OK done', start + 3_000_000) });
    m.handle({ type: 'session-close', session: id, timeUs: start + 3_100_000, end: { by: 'client-closed' }, bytes: { client: 0, server: 0 }, frames: seq });
  }
  handleKey(m, 't');
  return m;
}

function medianRenderMs(m: TuiModel, width: number, height: number, keys: string[] = []): number {
  const times: number[] = [];
  for (let i = 0; i < 51; i++) {
    for (const k of keys) handleKey(m, k);
    const t = performance.now();
    renderScreen(m, width, height);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[25];
}

const many = build(1000, 1);
const one = build(1, 200_000);
for (const [w, h] of [[80, 24], [200, 50]] as const) {
  console.log(`1,000 sessions, ${w}x${h}: median render ${medianRenderMs(many, w, h).toFixed(2)} ms (paging with j: ${medianRenderMs(many, w, h, ['j']).toFixed(2)} ms)`);
  console.log(`1 session with 200,000 updates in one IDLE, ${w}x${h}: median render ${medianRenderMs(one, w, h).toFixed(2)} ms`);
}
handleKey(one, 'right');
for (let i = 0; i < 8; i++) handleKey(one, '+');
console.log(`the same, zoomed 256x: median render ${medianRenderMs(one, 200, 50).toFixed(2)} ms`);
