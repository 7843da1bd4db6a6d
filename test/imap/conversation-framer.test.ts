import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameEverySplit, frameSteps, notation } from './framing-harness';
import { rechunk, transcript } from './transcript';

test('RFC 2177 example dialog: IDLE, updates, DONE, at every split', () => {
  const frames = frameEverySplit(transcript(`
    S: * OK IMAP4rev1 server ready
    C: A001 SELECT INBOX
    S: * FLAGS (Deleted Seen)
    S: * 3 EXISTS
    S: A001 OK [READ-WRITE] SELECT completed
    C: A002 IDLE
    S: + idling
    S: * 4 EXISTS
    C: DONE
    S: A002 OK IDLE terminated
    C: A003 IDLE
    S: + idling
    S: * 5 EXISTS
    C: done
    S: A003 OK IDLE terminated
  `));
  assert.deepEqual(frames.map((f) => f.kind), [
    'greeting', 'command', 'untagged', 'untagged', 'tagged', 'command', 'continuation', 'untagged',
    'idle-done', 'tagged', 'command', 'continuation', 'untagged', 'idle-done', 'tagged',
  ]);
  assert.deepEqual(frames.map((f) => f.verb ?? ''), [
    'OK', 'SELECT', 'FLAGS', 'EXISTS', 'OK', 'IDLE', '', 'EXISTS', '', 'OK', 'IDLE', '', 'EXISTS', '', 'OK',
  ]);
  assert.equal(frames[5].tag, 'A002');
  assert.equal(frames[9].tag, 'A002');
});

test('RFC 3501 LOGIN with synchronizing literals splits at each "+" like the RFC prints it', () => {
  const frames = frameEverySplit(transcript(`
    S: * OK ready
    C: A001 LOGIN {11}
    S: + Ready for additional command text
    C:. FRED FOOBAR {7}
    C:
    S: + Ready for additional command text
    C:. fat man
    C:
    S: A001 OK LOGIN completed
  `));
  assert.deepEqual(notation(frames), [
    'S: * OK ready',
    'C: A001 LOGIN {11}',
    'S: + Ready for additional command text',
    'C: FRED FOOBAR {7}',
    'S: + Ready for additional command text',
    'C: fat man',
    'S: A001 OK LOGIN completed',
  ]);
  assert.deepEqual(frames.map((f) => f.kind), ['greeting', 'command', 'continuation', 'command-continuation',
    'continuation', 'command-continuation', 'tagged']);
  // The password is the second argument: the literal "fat man" in the last client frame.
  assert.deepEqual(frames[5].secrets, [{ part: 0, literal: true }]);
  assert.deepEqual(frames[3].secrets, []);
  assert.equal(frames[5].tag, 'A001');
});

test('a tagged BAD instead of "+" cancels the synchronizing literal (RFC 3501 2.2.1)', () => {
  const frames = frameEverySplit(transcript(`
    S: * OK ready
    C: A044 BLURDYBLOOP {102856}
    S: A044 BAD No such command as "BLURDYBLOOP"
    C: A045 NOOP
    S: A045 OK done
  `));
  assert.deepEqual(notation(frames), [
    'S: * OK ready', 'C: A044 BLURDYBLOOP {102856}', 'S: A044 BAD No such command as "BLURDYBLOOP"',
    'C: A045 NOOP', 'S: A045 OK done',
  ]);
  assert.equal(frames[3].kind, 'command');
  assert.ok(frames[2].annotations.some((a) => a.kind === 'note' && /cancelled/.test(a.text)));
});

test('a literal body sent before the "+" is framed as the literal and flagged', () => {
  const frames = frameEverySplit(transcript(`
    S: * OK ready
    C: a1 LOGIN {5}
    C:. alice "pw"
    C:
    S: a1 OK done
  `));
  assert.deepEqual(notation(frames), ['S: * OK ready', 'C: a1 LOGIN {5}', 'C: alice "pw"', 'S: a1 OK done']);
  assert.ok(frames[2].annotations.some((a) => a.kind === 'finding' && a.finding.code === 'sync-literal-before-continuation'));
});

test('LOGIN with quoted arguments masks the password span', () => {
  const [, login] = frameEverySplit(transcript(`
    S: * OK ready
    C: a1 LOGIN "alice" "p w\\"d"
  `));
  assert.equal(login.verb, 'LOGIN');
  assert.deepEqual(login.secrets, [{ part: 0, start: 17, end: 25 }]);
});

test('AUTHENTICATE: SASL lines until the tagged response, "*" cancels, SASL-IR masked', () => {
  const frames = frameEverySplit(transcript(`
    S: * OK ready
    C: a1 AUTHENTICATE PLAIN
    S: +
    C: AGFsaWNlAHNlY3JldA==
    S: a1 OK Logged in
    C: a2 AUTHENTICATE LOGIN
    S: + VXNlcm5hbWU6
    C: *
    S: a2 BAD Authentication cancelled
    C: a3 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==
    S: a3 OK Logged in
    C: a4 NOOP
  `));
  assert.deepEqual(frames.map((f) => f.kind), ['greeting', 'command', 'continuation', 'sasl', 'tagged', 'command',
    'continuation', 'sasl', 'tagged', 'command', 'tagged', 'command']);
  assert.deepEqual(frames[3].secrets, [{ part: 0, start: 0, end: 20 }]);
  assert.deepEqual(frames[7].secrets, []);
  assert.ok(frames[7].annotations.some((a) => a.kind === 'note' && /cancelled/.test(a.text)));
  assert.deepEqual(frames[9].secrets, [{ part: 0, start: 22, end: 42 }]);
  assert.equal(frames[11].verb, 'NOOP');
});

test('server literals stay in one frame; bytes inside a literal are never scanned', () => {
  const body = 'Subject: x\r\n\r\nA001 OK fake\r\n* 9 EXISTS\r\n{5}\r\n';
  const frames = frameEverySplit([
    ...transcript(`
      S: * OK ready
      C: A001 FETCH 1 (BODY[] FLAGS)
      S: * 1 FETCH (BODY[] {${body.length}}
    `),
    { direction: 'server', bytes: Buffer.from(body, 'latin1') },
    ...transcript(`
      S:  FLAGS (\\Seen))
      S: A001 OK FETCH completed
    `),
  ]);
  assert.equal(frames.length, 4);
  const fetch = frames[2];
  assert.equal(fetch.kind, 'untagged');
  assert.equal(fetch.verb, 'FETCH');
  assert.deepEqual(fetch.parts.map((p) => p.type), ['line', 'literal', 'line']);
  const lit = fetch.parts[1].type === 'literal' ? fetch.parts[1].literal : undefined;
  assert.equal(lit?.size, body.length);
  assert.equal(lit?.received, body.length);
  assert.equal(lit?.preview, body.slice(0, lit?.preview.length));
  assert.equal(lit?.sha256, '', 'no digest on the forwarding path (issue 10): readers compute it from the bytes');
  assert.equal(frames[3].tag, 'A001');
});

test('LITERAL+ and LITERAL- literals do not wait; binary ~{N} is recognised', () => {
  const frames = frameEverySplit(transcript(`
    S: * OK ready
    C: a1 APPEND INBOX {3+}
    C:. abc ~{4+}
    C:
    C:. d\x00fg
    C:
    S: a1 OK APPEND completed
  `));
  assert.equal(frames.length, 3);
  const parts = frames[1].parts;
  assert.deepEqual(parts.map((p) => (p.type === 'literal' ? `${p.literal.form}${p.literal.binary ? '~' : ''}` : 'line')),
    ['line', 'non-sync-plus', 'line', 'non-sync-plus~', 'line']);
});

test('unparsable lines become unparsed frames and framing resumes at the next line', () => {
  const frames = frameEverySplit(transcript(`
    S: garbage from a confused server
    S: * OK ready
    C: (((
    C: a1 NOOP
    S:~ a1 OK bare LF
    S: * 2 EXISTS
  `));
  assert.deepEqual(frames.map((f) => f.kind), ['unparsed', 'untagged', 'unparsed', 'command', 'tagged', 'untagged']);
  assert.ok(frames[0].annotations.some((a) => a.kind === 'finding' && a.finding.code === 'bad-greeting'));
  assert.equal(frames[4].parts[0].type === 'line' && frames[4].parts[0].line.ending, 'lf');
});

test('an overlong line keeps a bounded prefix and still finds its literal announcement', () => {
  const limits = { linePreviewBytes: 16, literalPreviewBytes: 4 };
  const long = 'x'.repeat(100);
  const frames = frameEverySplit(transcript(`
    S: * OK ready
    C: a1 APPEND INBOX (${long}) {5}
    S: + go
    C: hello
    S: a1 OK done
  `), limits);
  const line = frames[1].parts[0].type === 'line' ? frames[1].parts[0].line : undefined;
  assert.equal(line?.truncated, true);
  assert.equal(line?.text.length, 16);
  assert.equal(line?.length, 'a1 APPEND INBOX () {5}\r\n'.length + 100);
  const lit = frames[3].parts[0].type === 'literal' ? frames[3].parts[0].literal : undefined;
  assert.equal(lit?.preview, 'hell');
  assert.equal(frames[3].kind, 'command-continuation');
});

test('connection end inside a literal or a line flushes what was seen', () => {
  const steps = transcript(`
    S: * OK ready
    C: a1 APPEND INBOX {100+}
    C:. only part
  `);
  const frames = frameSteps(rechunk(steps, () => []));
  assert.equal(frames.length, 2);
  const lit = frames[1].parts[1].type === 'literal' ? frames[1].parts[1].literal : undefined;
  assert.equal(lit?.received, 9);
  assert.equal(lit?.size, 100);
  const partial = frameSteps(rechunk(transcript('S:. * OK no end'), () => []));
  assert.equal(partial[0].parts[0].type === 'line' && partial[0].parts[0].line.ending, 'none');
});

test('frames tile each direction: offsets and lengths cover every byte once', () => {
  const steps = transcript(`
    S: * OK ready
    C: a1 LOGIN {5}
    S: + go
    C:. alice x
    C:
    S: a1 OK
    C: junk
    S: * 1 FETCH (BODY[] {3}
    S: abc)
  `);
  const frames = frameSteps(rechunk(steps, () => []));
  for (const dir of ['client', 'server'] as const) {
    const total = steps.filter((s) => s.direction === dir).reduce((n, s) => n + s.bytes.length, 0);
    let expect = 0;
    for (const f of frames.filter((x) => x.direction === dir)) {
      assert.equal(f.offset, expect);
      expect += f.length;
    }
    assert.equal(expect, total);
  }
});

test('frame text escapes C0 and C1 control bytes so nothing reaches the terminal as a control sequence', async () => {
  const { printable } = await import('../../src/imap/frame-text');
  assert.equal(printable('a\x1b[2Jb\x9b31mc\x7f\r\n'), 'a\\x1b[2Jb\\x9b31mc\\x7f\\r\\n');
  assert.equal(printable('caf\xe9'), 'caf\xe9');
});

test('a synchronizing {0} waits for "+" like any literal, and a tagged NO cancels it', () => {
  const granted = frameEverySplit(transcript(`
    S: * OK ready
    C: A1 APPEND INBOX {0}
    S: + go
    C:
    S: A1 OK done
    C: A2 NOOP
    S: A2 OK done
  `));
  assert.deepEqual(granted.map((f) => f.kind), ['greeting', 'command', 'continuation', 'command-continuation', 'tagged', 'command', 'tagged']);
  assert.ok(granted.every((f) => !f.annotations.some((a) => a.kind === 'finding')), 'no finding expected');
  const cancelled = frameEverySplit(transcript(`
    S: * OK ready
    C: A1 XAPPEND {0}
    S: A1 NO nope
    C: A2 NOOP
    S: A2 OK done
  `));
  assert.deepEqual(cancelled.map((f) => `${f.kind}:${f.tag ?? ''}`), ['greeting:', 'command:A1', 'tagged:A1', 'command:A2', 'tagged:A2']);
});
