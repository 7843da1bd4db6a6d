// Cost of the rule rewrites and of the rule stage, measured outside the proxy (issue 11):
//   npx tsc -p tsconfig.json && node --expose-gc dist/bench/rule-rewrite.js
// 1. replace on a FETCH frame whose literal is MAX_REPLACE_BODY_BYTES (the largest searched):
//    time and the RSS it adds (the frame's bytes are held by the executor anyway);
// 2. the rule stage with three rules over the frames of a Dovecot session, frames per second.
import { ConversationFramer } from '../src/imap/conversation-framer';
import type { Frame } from '../src/imap/frame';
import { frameText } from '../src/imap/frame-text';
import { MAX_REPLACE_BODY_BYTES, replaceInFrame } from '../src/lab/frame-rewrite';
import { parseRule } from '../src/lab/rule-parser';
import { RuleStage } from '../src/lab/rule-stage';
import type { Rule } from '../src/lab/rule';
import { framesWithBytes } from '../test/lab/framed';
import { DOVECOT_SESSION } from '../test/lab/dovecot-transcripts';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function bigFetch(): { frame: Frame; bytes: Buffer } {
  const size = MAX_REPLACE_BODY_BYTES;
  const line = 'Subject: hello rules and some more text to fill the line up nicely\r\n';
  const body = Buffer.alloc(size, line);
  const stream = Buffer.concat([Buffer.from(`* OK hi\r\n* 1 FETCH (BODY[] {${size}}\r\n`), body, Buffer.from(')\r\n')]);
  let frame: Frame | undefined;
  new ConversationFramer(1, (f) => { if (f.verb === 'FETCH') frame = f; }).push('server', stream, 0);
  if (!frame) throw new Error('no frame');
  return { frame, bytes: stream.subarray(frame.offset, frame.offset + frame.length) };
}

const fetch = bigFetch();
gc();
const rssBefore = process.memoryUsage().rss;
let t = process.hrtime.bigint();
const r = replaceInFrame(fetch.frame, fetch.bytes, [{ pattern: /hello/g, replacement: 'goodbye' }]);
const ms = Number(process.hrtime.bigint() - t) / 1e6;
const rssAfter = process.memoryUsage().rss;
console.log(`replace /hello/g on a ${mb(fetch.bytes.length)} FETCH: ${ms.toFixed(0)} ms, ${r?.matches[0]} matches, `
  + `output ${mb(r?.bytes.length ?? 0)}, RSS +${mb(rssAfter - rssBefore)}`);

const rules: Rule[] = ['hide-capability IDLE COMPRESS=DEFLATE', 'drop ~dir s ~idle ~c EXISTS', "replace /hello/ 'bye' ~c FETCH"].map((text, i) => {
  const p = parseRule(text, i + 1);
  if (!p.ok) throw new Error(p.error.message);
  return p.rule;
});
const framed = framesWithBytes(DOVECOT_SESSION);
const rounds = 20_000;
t = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) {
  const stage = new RuleStage(rules);
  for (const { frame, bytes } of framed) stage.onFrame(frame, bytes, { session: 1, inIdle: false, text: () => frameText(frame, { revealSecrets: false }) });
}
const s = Number(process.hrtime.bigint() - t) / 1e9;
console.log(`rule stage, 3 rules: ${Math.round((rounds * framed.length) / s)} frames/s (${rounds * framed.length} frames of a Dovecot session)`);
