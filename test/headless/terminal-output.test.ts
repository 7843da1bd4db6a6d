// Issue 9 items 8 and 10, unit level: the one terminal escaper, the lines built from peer strings
// the fake-server test cannot easily produce (TLS SNI and certificate subjects decoded as UTF-8),
// the bounded headless printer, and that no output path bypasses the escaper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeadlessPrinter, MAX_PENDING_CHARS } from '../../src/headless/headless-printer';
import type { TextOutput } from '../../src/headless/terminal-output';
import type { ProxyEvent } from '../../src/imap/events';
import { eventLine } from '../../src/imap/notation';
import { oneLineText, terminalJson, terminalText } from '../../src/imap/terminal-text';
import { terminalHazards } from '../hostile/terminal-hazards';

const NASTY = 'a\x1b]0;t\x07b\x9bc\x85d\u202ee\u2066f\u2069g\x7fh\rj\tk\x00';

test('terminalText escapes C0 (but LF), DEL, C1 and bidi overrides; oneLineText LF too; both idempotent', () => {
  const t = terminalText(`${NASTY}\nnext`);
  assert.equal(t, 'a\\x1b]0;t\\x07b\\x9bc\\x85d\\u{202e}e\\u{2066}f\\u{2069}g\\x7fh\\rj\\tk\\x00\nnext');
  assert.deepEqual(terminalHazards(t), []);
  assert.equal(terminalText(t), t);
  const o = oneLineText(`${NASTY}\nnext`);
  assert.ok(!o.includes('\n'));
  assert.equal(oneLineText(o), o);
  // Ordinary non-ASCII text (the notation's own «…», µs, an accented name) is left alone.
  assert.equal(terminalText('«5 bytes» 914 µs café →'), '«5 bytes» 914 µs café →');
});

test('terminalJson keeps JSON valid and equal while escaping DEL, C1 and bidi', () => {
  const json = JSON.stringify({ v: NASTY });
  const safe = terminalJson(json);
  assert.deepEqual(terminalHazards(safe), []);
  assert.deepEqual(JSON.parse(safe), { v: NASTY });
});

test('TLS lines with a crafted SNI and certificate subject, and session ends, are escaped', () => {
  const events: ProxyEvent[] = [
    { type: 'tls', session: 1, timeUs: 1, tls: { leg: 'client', version: 'TLSv1.3', cipher: 'X', sni: `evil${NASTY}.example` } },
    { type: 'tls', session: 1, timeUs: 1, tls: { leg: 'server', version: 'TLSv1.3', cipher: 'X', peerSubject: `CN=${NASTY}`, peerIssuer: `CN=\u202eesrever`, verdict: `bad ${NASTY}` } },
    { type: 'session-close', session: 1, timeUs: 2, end: { by: 'error', side: 'server', message: `boom\n${NASTY}` }, bytes: { client: 0, server: 0 }, frames: 0 },
    { type: 'finding', session: 1, timeUs: 2, finding: { level: 'error', code: 'x', rfc: 'y', message: NASTY } },
  ];
  for (const event of events) {
    const line = eventLine(event, { revealSecrets: false, utc: true }) ?? '';
    assert.deepEqual(terminalHazards(line), [], line);
    assert.ok(!line.includes('\n'), `not one line: ${line}`);
  }
});

/** An output whose buffer is full until `drain()` is called. */
class StuckOutput implements TextOutput {
  written: string[] = [];
  private listeners: Array<() => void> = [];
  full = true;
  write(text: string): boolean {
    this.written.push(text);
    return !this.full;
  }
  onDrain(listener: () => void): void {
    this.listeners.push(listener);
  }
  drain(): void {
    this.full = false;
    for (const l of this.listeners.splice(0)) l();
  }
}

function frameEvent(seq: number): ProxyEvent {
  const text = `* ${seq} FETCH (FLAGS (\\Seen))${' '.repeat(60)}`;
  return { type: 'frame', frame: { session: 1, seq, direction: 'server', kind: 'untagged', verb: 'FETCH', timeUs: 1, endUs: 1, offset: 0, length: text.length + 2,
    parts: [{ type: 'line', line: { text, length: text.length + 2, offset: 0, truncated: false, ending: 'crlf' } }], secrets: [], annotations: [] } };
}

test('headless printer: an output that does not keep up holds a bounded queue, drops the rest and says how many', async () => {
  const out = new StuckOutput();
  const printer = new HeadlessPrinter(out, { revealSecrets: false, utc: true });
  const total = 200_000;
  for (let i = 1; i <= total; i += 1) printer.handle(frameEvent(i));
  // The first write filled the output; everything since waits in a queue of bounded size.
  assert.equal(out.written.length, 1);
  assert.ok(printer.droppedLines > 0, 'nothing was dropped');
  out.drain();
  await printer.close();
  const text = out.written.join('');
  const shown = text.split('\n').filter((l) => / S: \* \d+ FETCH/.test(l)).length;
  const notice = /imapdbg: (\d+) lines not shown \(output too slow\)/.exec(text);
  assert.ok(notice, 'no notice');
  assert.equal(shown + Number(notice[1]), total, 'every line is either shown or counted');
  assert.ok(text.length < 2 * MAX_PENDING_CHARS + 200_000, `held ${text.length} chars`);
  // In order: the lines before the gap, the notice, nothing after it that came before it.
  const before = text.slice(0, notice.index).trim().split('\n');
  assert.match(before[before.length - 1] ?? '', new RegExp(` S: \\* ${shown} FETCH`));
});

test('no human-readable output bypasses the terminal escaper (src/headless/terminal-output.ts)', () => {
  const root = path.resolve(__dirname, '../../../src');
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith(path.join('headless', 'terminal-output.ts'))) {
        fs.readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          if (/process\.(stdout|stderr)\.write\(|console\.(log|error|warn|info)\(/.test(line)) offenders.push(`${path.relative(root, p)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  };
  walk(root);
  assert.deepEqual(offenders, [], 'print through stdout/stderr of src/headless/terminal-output.ts');
});
