// The bundled STARTTLS and COMPRESS fixtures (recorded by test/fixtures-tools/record-fixtures.ts
// from Dovecot through the proxy): they read back with their layers, the CLI tools make sense of
// them, and `replay --serve` refuses the layer commands with a tagged BAD, as documented.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { ProxyEvent } from '../../src/imap/events';
import type { Frame } from '../../src/imap/frame';
import { captureEvents, pairOf, sessionFrames } from '../e2e/capture-check';
import { readUntil } from '../harness/lines';
import { runCli, startCli } from '../fixtures-tools/run-cli';

const FIXTURES = path.resolve(__dirname, '../../../fixtures');
const STARTTLS = path.join(FIXTURES, 'starttls.pcapng');
const COMPRESS = path.join(FIXTURES, 'compress.imapcap');
const T = { timeout: 60_000 };

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill();
});

/** Index in `frames` of the server's tagged response to the command `verb`. */
function taggedAnswerTo(frames: Frame[], verb: string): number {
  return frames.findIndex((f) => f.kind === 'tagged' && pairOf(f)?.command === verb);
}

const commands = (frames: Frame[]): Array<string | undefined> => frames.filter((f) => f.kind === 'command').map((f) => f.verb);

test('the fixtures are small and hold nothing of the recording machine but loopback addresses', () => {
  for (const file of [STARTTLS, COMPRESS]) {
    const text = fs.readFileSync(file, 'latin1');
    assert.ok(text.length < 100 * 1024, `${file}: ${text.length} bytes`);
    assert.doesNotMatch(text, /\/tmp\/|\/home\/|\/root\//, `${file} names a local path`);
    // Messages are fixtureMessage()s: example.org addresses only.
    assert.ok(text.includes('example.org'), `${file}: no fixture message`);
  }
});

test('starttls.pcapng: both legs\' tls events after STARTTLS\'s OK, then CAPABILITY, LOGIN... framed from the plaintext', T, async () => {
  const events = await captureEvents(STARTTLS);
  const frames = sessionFrames(events, 1);
  const ok = taggedAnswerTo(frames, 'STARTTLS');
  assert.ok(ok > 0, 'no tagged response to STARTTLS');
  assert.equal(frames[ok].verb, 'OK');
  assert.deepEqual(commands(frames.slice(0, ok)), ['CAPABILITY', 'STARTTLS']);
  // python asks CAPABILITY again after the upgrade, as RFC 3501 6.2.1 wants, then logs in.
  assert.deepEqual(commands(frames.slice(ok + 1)), ['CAPABILITY', 'LOGIN', 'SELECT', 'FETCH', 'LOGOUT']);
  assert.ok(frames.filter((f) => f.kind === 'tagged').every((f) => f.verb === 'OK'), 'every command succeeded');
  assert.ok(!frames.some((f) => f.kind === 'unparsed'), 'TLS records leaked into the frames');
  // The stream goes on where it was: the first command after the OK starts right after STARTTLS.
  const starttls = frames.find((f) => f.direction === 'client' && f.verb === 'STARTTLS');
  assert.ok(starttls);
  assert.equal(frames[ok + 1].direction, 'client');
  assert.equal(frames[ok + 1].offset, starttls.offset + starttls.length);

  // Both legs, server first (the client's handshake waits for the upstream certificate), between
  // the OK and the first frame over TLS.
  const at = (pred: (e: ProxyEvent) => boolean): number => events.findIndex(pred);
  const tlsEvents = events.flatMap((e) => (e.type === 'tls' ? [e] : []));
  assert.deepEqual(tlsEvents.map((e) => [e.session, e.tls.leg]), [[1, 'server'], [1, 'client']]);
  const server = tlsEvents[0].tls;
  assert.equal(server.verdict, 'verified');
  assert.equal(server.peerSubject, 'CN=localhost');
  assert.match(server.version, /^TLSv1\.[23]$/);
  assert.match(tlsEvents[1].tls.version, /^TLSv1\.[23]$/);
  const okAt = at((e) => e.type === 'frame' && e.frame === frames[ok]);
  const nextAt = at((e) => e.type === 'frame' && e.frame === frames[ok + 1]);
  for (const e of tlsEvents) {
    const i = events.indexOf(e);
    assert.ok(okAt < i && i < nextAt, `the ${e.tls.leg} leg's tls event is not between the OK and the next frame`);
  }
  // The capabilities after the upgrade no longer offer STARTTLS.
  const caps = frames.slice(ok + 1).find((f) => f.kind === 'untagged' && f.verb === 'CAPABILITY');
  assert.ok(caps?.parts.some((p) => p.type === 'line' && !/STARTTLS/.test(p.line.text) && /AUTH=PLAIN/.test(p.line.text)));
  // The 600-byte fixture message came back as a literal.
  const fetch = frames.find((f) => f.kind === 'untagged' && f.verb === 'FETCH');
  const literal = fetch?.parts.find((p) => p.type === 'literal');
  assert.equal(literal?.type === 'literal' ? literal.literal.size : undefined, 600);
});

test('starttls.pcapng: lint exits 0 with no findings (LOGIN came after STARTTLS); export shows the legs', T, async () => {
  const lint = await runCli(['lint', STARTTLS]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  assert.match(lint.stdout, /^0 errors, 0 warnings, 0 info in 1 session$/m);
  const text = await runCli(['export', STARTTLS]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /S: \S+ OK Begin TLS negotiation now\.[^\n]*\n[^\n]*TLS on the server leg: TLSv1\.\d \S+, upstream certificate CN=localhost issued by CN=localhost: verified\n[^\n]*TLS on the client leg: TLSv1\.\d/);
  assert.match(text.stdout, /C: \S+ LOGIN alice \*{8}/);
});

test('compress.imapcap: frames after the COMPRESS OK are read from the inflated stream: SELECT, FETCH, IDLE with its EXISTS', T, async () => {
  const events = await captureEvents(COMPRESS);
  const frames = sessionFrames(events, 1);
  const ok = taggedAnswerTo(frames, 'COMPRESS');
  assert.ok(ok > 0, 'no tagged response to COMPRESS');
  assert.equal(frames[ok].verb, 'OK');
  assert.ok(frames[ok].annotations.some((a) => a.kind === 'phase' && a.phase === 'compress-active'));
  const rest = frames.slice(ok + 1);
  assert.deepEqual(commands(rest), ['SELECT', 'FETCH', 'IDLE', 'LOGOUT']);
  const idle = rest.findIndex((f) => f.verb === 'IDLE' && f.kind === 'command');
  const exists = rest.findIndex((f) => f.kind === 'untagged' && frameLine(f) === '* 3 EXISTS');
  const done = rest.findIndex((f) => f.direction === 'client' && frameLine(f) === 'DONE');
  assert.ok(idle >= 0 && idle < exists && exists < done, `IDLE ${idle}, EXISTS ${exists}, DONE ${done}`);
  assert.ok(rest[exists].annotations.some((a) => a.kind === 'phase' && a.phase === 'idle-update'));
  assert.ok(rest.some((f) => f.kind === 'untagged' && f.verb === 'BYE'));
  assert.ok(!frames.some((f) => f.kind === 'unparsed'), 'compressed bytes leaked into the frames');
  // Both kinds of data are there: the wire (compressed after the OK) and the inflated copy.
  const layers = new Set(events.flatMap((e) => (e.type === 'data' ? [`${e.direction} ${e.layer}`] : [])));
  assert.deepEqual([...layers].sort(), ['client inflated', 'client wire', 'server inflated', 'server wire']);
});

/** A frame's first line, or '' for a frame without one. */
function frameLine(f: Frame): string {
  const first = f.parts[0];
  return first?.type === 'line' ? first.line.text : '';
}

test('compress.imapcap: export --layer inflated has the commands in clear, --layer wire does not', T, async () => {
  const raw = async (direction: string, layer: string): Promise<string> => {
    const r = await runCli(['export', COMPRESS, '--format', 'raw', '--session', '1', '--direction', direction, '--layer', layer]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const clientInflated = await raw('client', 'inflated');
  const serverInflated = await raw('server', 'inflated');
  const clientWire = await raw('client', 'wire');
  const serverWire = await raw('server', 'wire');
  for (const s of [/ SELECT INBOX\r\n/, / FETCH 1:\* /, / IDLE\r\n/, /^DONE\r\n/m, / LOGOUT\r\n/]) {
    assert.match(clientInflated, s);
    assert.doesNotMatch(clientWire, s);
  }
  for (const s of [/^\* 3 EXISTS\r\n/m, /^\+ idling\r\n/m, /^\* BYE /m]) {
    assert.match(serverInflated, s);
    assert.doesNotMatch(serverWire, s);
  }
  // Up to the boundary the wire is plain: LOGIN and COMPRESS themselves are readable there.
  assert.match(clientWire, / LOGIN alice /);
  assert.match(clientWire, / COMPRESS DEFLATE\r\n/);
  assert.match(serverWire, / OK Begin compression/);
  assert.doesNotMatch(clientInflated, /COMPRESS|LOGIN/, 'the inflated copy starts after the boundary');
});

test('compress.imapcap: stats shows the IDLE period and the inflated bytes; lint exits 0 with only the expected warning', T, async () => {
  const stats = await runCli(['stats', COMPRESS]);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stdout, /^ {2}IDLE {6}1 period \(1 ended, 0 rejected, 0 open\), 2 updates$/m);
  assert.match(stats.stdout, /^ {12}IDLE +1 /m);
  assert.match(stats.stdout, /\(inflated: client \d+, server \d+\)/);
  const json = await runCli(['stats', COMPRESS, '--json']);
  const [s] = JSON.parse(json.stdout) as Array<{ idle: { periods: number; ended: number; updates: number; durations: { maxUs: number } } }>;
  assert.equal(s.idle.periods, 1);
  assert.equal(s.idle.ended, 1);
  assert.equal(s.idle.updates, 2);
  assert.ok(s.idle.durations.maxUs > 0);
  // python logged in over plain text where STARTTLS was offered: the one expected finding.
  const lint = await runCli(['lint', COMPRESS]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  assert.match(lint.stdout, /^0 errors, 1 warning, 0 info in 1 session$/m);
  assert.deepEqual(lint.stdout.match(/^\S+ #\d+ (error|warning|info) \S+/gm)?.map((l) => l.replace(/^\S+ #\d+ /, '')), ['warning cleartext-login']);
});

/** `imapdbg replay FILE --serve 127.0.0.1:0`: its port and its standard error so far. */
async function serve(file: string): Promise<{ port: number; stderr: () => string }> {
  const { child, match, stderr } = await startCli(['replay', file, '--serve', '127.0.0.1:0'], /on 127\.0\.0\.1:(\d+)\n/);
  children.push(child);
  return { port: Number(match[1]), stderr };
}

async function rawConnect(port: number): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  return sock;
}

/** Send `tag line` and return the lines up to the tagged one. */
async function send(sock: net.Socket, tag: string, line: string): Promise<string[]> {
  sock.write(`${tag} ${line}\r\n`);
  return readUntil(sock, (l) => l.startsWith(`${tag} `));
}

const last = (lines: string[]): string => lines[lines.length - 1];

test('replay --serve starttls.pcapng: STARTTLS gets a tagged BAD naming the reason, plain commands still answered', T, async () => {
  const { port, stderr } = await serve(STARTTLS);
  const sock = await rawConnect(port);
  try {
    const [greeting] = await readUntil(sock, (l) => l.startsWith('* OK'));
    assert.match(greeting, /STARTTLS/, 'the recorded greeting');
    const bad = await send(sock, 'r1', 'STARTTLS');
    assert.equal(last(bad), 'r1 BAD [imapdbg] no recorded response: STARTTLS cannot be replayed (the replay speaks plain text only)');
    // The connection stays plain and usable: the recorded CAPABILITY answer comes back under the live tag.
    const caps = await send(sock, 'r2', 'CAPABILITY');
    assert.match(caps[0], /^\* CAPABILITY IMAP4rev1 /);
    assert.match(last(caps), /^r2 OK /);
    // As python sent it (imaplib quotes the password): matching is exact.
    const login = await send(sock, 'r3', 'LOGIN alice "secret"');
    assert.match(last(login), /^r3 OK Logged in/);
  } finally {
    sock.destroy();
  }
  assert.match(stderr(), /imapdbg replay: #1 no recorded response for r1 STARTTLS: STARTTLS cannot be replayed \(the replay speaks plain text only\)/);
});

test('replay --serve compress.imapcap: COMPRESS DEFLATE gets a tagged BAD naming the reason', T, async () => {
  const { port, stderr } = await serve(COMPRESS);
  const sock = await rawConnect(port);
  try {
    await readUntil(sock, (l) => l.startsWith('* OK'));
    assert.match(last(await send(sock, 'r1', 'CAPABILITY')), /^r1 OK /);
    assert.match(last(await send(sock, 'r2', 'LOGIN alice "secret"')), /^r2 OK Logged in/);
    const bad = await send(sock, 'r3', 'COMPRESS DEFLATE');
    assert.equal(last(bad), 'r3 BAD [imapdbg] no recorded response: COMPRESS cannot be replayed (the replay speaks plain text only)');
  } finally {
    sock.destroy();
  }
  // The log line travels through another pipe than the answer: wait (bounded) for it to arrive.
  const logged = /#1 no recorded response for r3 COMPRESS DEFLATE: COMPRESS cannot be replayed/;
  for (let i = 0; i < 100 && !logged.test(stderr()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(stderr(), logged);
});

// Frames after the COMPRESS boundary count offsets in the inflated stream: the recorded dialog
// must take their bytes from the inflated copy, not from the compressed wire bytes.
test('replay --serve compress.imapcap: after the refused COMPRESS, the recorded SELECT is answered in plain text', T, async () => {
  const { port } = await serve(COMPRESS);
  const sock = await rawConnect(port);
  try {
    await readUntil(sock, (l) => l.startsWith('* OK'));
    await send(sock, 'r1', 'LOGIN alice "secret"');
    await send(sock, 'r2', 'COMPRESS DEFLATE');
    const select = await send(sock, 'r3', 'SELECT INBOX');
    assert.ok(select.includes('* 2 EXISTS'), select.join(' | '));
    assert.match(last(select), /^r3 OK \[READ-WRITE\]/);
  } finally {
    sock.destroy();
  }
});
