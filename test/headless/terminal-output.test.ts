// Issue 9 items 8 and 10, unit level: the one terminal escaper, the lines built from peer strings
// the fake-server test cannot easily produce (TLS SNI and certificate subjects decoded as UTF-8),
// the bounded headless printer, and that no output path bypasses the escaper.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FLUSH_AGE_MS, FLUSH_MS, HeadlessPrinter, MAX_PENDING_CHARS } from '../../src/headless/headless-printer';
import type { TextOutput } from '../../src/headless/terminal-output';
import type { ProxyEvent } from '../../src/imap/events';
import { eventLine } from '../../src/imap/notation';
import { needsOneLineEscape, oneLineText, terminalJson, terminalText } from '../../src/imap/terminal-text';
import { defaultAnnotators } from '../../src/imap/default-annotators';
import type { Frame } from '../../src/imap/frame';
import { SessionModel } from '../../src/imap/session-model';
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

test('oneLineText\'s scan picks out exactly the characters its pattern escapes (every UTF-16 code unit)', () => {
  const pattern = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  for (let c = 0; c <= 0xffff; c++) {
    const ch = String.fromCharCode(c);
    assert.equal(needsOneLineEscape(`ab${ch}cd`), pattern.test(ch), `U+${c.toString(16)}`);
  }
  assert.equal(needsOneLineEscape(''), false);
});

test('a frame\'s line (escaped piece by piece, not as a whole) leaves nothing for the escaper', () => {
  const frames: Frame[] = [];
  const model = new SessionModel(1, { frame: (f) => frames.push(f), finding: () => undefined }, defaultAnnotators());
  const push = (direction: 'client' | 'server', text: string): void => { model.push(direction, Buffer.from(text, 'latin1'), 1); };
  push('server', `* OK [ALERT] ${NASTY}\r\n`);
  push('client', `a\x9b1 SELECT "in\x1bbox"\r\n`);
  push('server', `a\x9b1 OK [READ-WRITE] done\r\n`);
  push('server', `z\x1b[2J NO ${NASTY}\r\n`);
  push('client', 'a2 APPEND x {5}\r\n');
  push('server', '+ go\r\n');
  push('client', '\x1b]0;\x07\r\n');
  assert.ok(frames.length >= 6);
  for (const frame of frames) {
    const line = eventLine({ type: 'frame', frame }, { revealSecrets: false, utc: true });
    assert.ok(line !== undefined);
    assert.deepEqual(terminalHazards(line), [], line);
    assert.equal(needsOneLineEscape(line), false, line);
  }
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

test('headless printer: lines go out in one write once the oldest is FLUSH_AGE_MS old, or by the timer when nothing follows', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const written: string[] = [];
    const out: TextOutput = { write: (text) => { written.push(text); return true; }, onDrain: () => undefined };
    let now = 1000;
    const printer = new HeadlessPrinter(out, { revealSecrets: false, utc: true }, () => now);
    printer.handle(frameEvent(1));
    now += FLUSH_AGE_MS / 2;
    printer.handle(frameEvent(2));
    assert.equal(written.length, 0, 'written before its time');
    now += FLUSH_AGE_MS / 2;
    printer.handle(frameEvent(3)); // the oldest is now FLUSH_AGE_MS old: all three in one write
    assert.equal(written.length, 1);
    assert.deepEqual(written[0].trimEnd().split('\n').map((l) => / S: \* (\d+) FETCH/.exec(l)?.[1]), ['1', '2', '3']);
    // A line with nothing after it: the timer armed by line 1 writes it (no new timer per write).
    now += 1;
    printer.handle(frameEvent(4));
    mock.timers.tick(FLUSH_MS - 1);
    assert.equal(written.length, 1);
    mock.timers.tick(1);
    assert.equal(written.length, 2);
    assert.match(written[1], / S: \* 4 FETCH/);
    // Quiet since: no timer is left armed to wake the proxy for nothing, and close writes what is left.
    now += 1;
    printer.handle(frameEvent(5));
    await printer.close();
    assert.equal(written.length, 3);
    mock.timers.tick(10 * FLUSH_MS);
    assert.equal(written.length, 3);
  } finally {
    mock.timers.reset();
  }
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
