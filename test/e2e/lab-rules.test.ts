// Issue 11, rules end to end: the real CLI with --rule, a real Dovecot, real clients (python
// imaplib, imapflow, a raw socket). Every assertion is about bytes and records, not about time,
// except lower bounds that a delay guarantees (a 500 ms delay makes a latency of at least 500 ms).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { appendMessage, startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg, startImapdbgProxy, BIN } from '../harness/imapdbg-process';
import { runPython } from '../harness/python';
import { readCapture } from '../../src/capture/capture-reader';
import type { ProxyEvent } from '../../src/imap/events';
import { spawnSync } from 'node:child_process';

const PASSWORD = 'pw-Lab-7';
let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { carol: PASSWORD } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-lab-'));
});

after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function events(capture: string): Promise<ProxyEvent[]> {
  const out: ProxyEvent[] = [];
  await readCapture(capture, (e) => { out.push(e); });
  return out;
}

const interventions = (all: ProxyEvent[]): Array<Extract<ProxyEvent, { type: 'intervention' }>> =>
  all.filter((e): e is Extract<ProxyEvent, { type: 'intervention' }> => e.type === 'intervention');

interface StatsSession {
  session: number;
  commands: Array<{ command: string; count: number; latency: { count: number; maxUs: number; medianUs: number } }>;
  changes: Array<{ source: string; action: string; count: number; rule?: number }>;
}

async function stats(capture: string): Promise<StatsSession[]> {
  const r = await runImapdbg(['stats', '--json', capture]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString()) as StatsSession[];
}

const PY_CAPS = String.raw`
import imaplib, json, socket, sys
port = int(sys.argv[1])
M = imaplib.IMAP4('127.0.0.1', port)
greeting = M.welcome.decode()
caps = sorted(M.capabilities)
M.login(sys.argv[2], sys.argv[3])
typ, data = M.capability()
after_login = data[0].decode().split()
M.logout()
print(json.dumps({'greeting': greeting, 'caps': caps, 'after_login': after_login}))
`;

test('hide-capability IDLE: python and imapflow see no IDLE through the proxy, Dovecot still offers it, stats counts it', async () => {
  const capture = path.join(dir, 'hide.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', capture, '--rule', 'hide-capability IDLE']);
  try {
    const through = await runPython(PY_CAPS, [String(proxy.port), 'carol', PASSWORD]);
    assert.equal(through.code, 0, through.stderr);
    const seen = JSON.parse(through.stdout) as { greeting: string; caps: string[]; after_login: string[] };
    assert.ok(!seen.caps.includes('IDLE') && !seen.after_login.includes('IDLE'), through.stdout);
    assert.ok(!/\bIDLE\b/.test(seen.greeting), seen.greeting);
    assert.ok(seen.caps.includes('IMAP4REV1'), 'the rest of the list is kept');

    const direct = await runPython(PY_CAPS, [String(dovecot.port), 'carol', PASSWORD]);
    assert.ok((JSON.parse(direct.stdout) as { after_login: string[] }).after_login.includes('IDLE'), 'Dovecot itself is untouched');

    // imapflow decides from the capabilities it was told: it does not IDLE, it polls.
    const client = new ImapFlow({ host: '127.0.0.1', port: proxy.port, secure: false, auth: { user: 'carol', pass: PASSWORD }, logger: false, doSTARTTLS: false });
    await client.connect();
    assert.equal(client.capabilities.has('IDLE'), false);
    await client.mailboxOpen('INBOX');
    await client.logout();
  } finally {
    await proxy.stop('SIGINT');
  }
  const all = await events(capture);
  assert.ok(!all.some((e) => e.type === 'frame' && e.frame.direction === 'client' && e.frame.verb === 'IDLE'), 'no client sent IDLE');
  const hidden = interventions(all).filter((e) => e.intervention.action === 'hide-capability');
  assert.ok(hidden.length >= 4, `greeting and CAPABILITY responses of three sessions rewritten (${hidden.length})`);
  const s = await stats(capture);
  const counted = s.flatMap((x) => x.changes).filter((c) => c.action === 'hide-capability' && c.rule === 1);
  assert.ok(counted.reduce((n, c) => n + c.count, 0) >= 4, JSON.stringify(counted));
});

test('blackhole after 1s in IDLE: a client with a socket timeout notices; the capture shows when, and the DONE that went nowhere', async () => {
  const capture = path.join(dir, 'blackhole.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', capture,
    '--rule', 'blackhole after 1s in IDLE']);
  const script = String.raw`
import imaplib, socket, sys, time, json
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
M.select('INBOX')
tag = M._new_tag()
M.send(tag + b' IDLE\r\n')
line = M.readline()
assert line.startswith(b'+'), line
time.sleep(4)
M.send(b'DONE\r\n')
M.sock.settimeout(5)
try:
    print(json.dumps({'answer': M.readline().decode()}))
except socket.timeout:
    print(json.dumps({'timeout': True}))
`;
  try {
    const r = await runPython(script, [String(proxy.port), 'carol', PASSWORD], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { timeout: true }, 'the client heard nothing after DONE');
  } finally {
    await proxy.stop('SIGINT');
  }
  const all = await events(capture);
  const hole = interventions(all).find((e) => e.intervention.action === 'blackhole');
  assert.ok(hole, 'the blackhole is recorded');
  const plus = all.find((e) => e.type === 'frame' && e.frame.kind === 'continuation');
  assert.ok(plus && plus.type === 'frame');
  assert.ok(hole.timeUs - plus.frame.timeUs >= 1_000_000, 'not before the trigger');
  const done = all.find((e) => e.type === 'frame' && e.frame.kind === 'idle-done');
  assert.ok(done, 'the DONE the client sent is recorded as sent');
  const deliveredToServer = all.filter((e) => e.type === 'data' && e.layer === 'delivered' && e.direction === 'client')
    .map((e) => (e as Extract<ProxyEvent, { type: 'data' }>).bytes.toString('latin1')).join('');
  assert.ok(!/DONE/i.test(deliveredToServer), 'and never delivered');
});

test("inject '* BYE' during IDLE (then close, as a server does): imapflow closes, the app reconnects, and the new session is there", async () => {
  const capture = path.join(dir, 'bye.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', capture,
    // A server that says BYE closes the connection too; imapflow waits for that close. imapflow
    // would COMPRESS, after which nothing can be injected: hide it, as a user would.
    '--rule', "inject '* BYE imapdbg says goodbye' after 1s in IDLE", '--rule', 'close client after 1s in IDLE',
    '--rule', 'hide-capability COMPRESS=DEFLATE']);
  const connect = async (): Promise<ImapFlow> => {
    const c = new ImapFlow({ host: '127.0.0.1', port: proxy.port, secure: false, auth: { user: 'carol', pass: PASSWORD }, logger: false, doSTARTTLS: false, disableAutoIdle: true });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  try {
    const first = await connect();
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    await first.mailboxOpen('INBOX');
    void first.idle().catch(() => undefined);
    await closed;
    // What an app does on 'close': connect again.
    const second = await connect();
    await second.mailboxOpen('INBOX');
    await second.logout();
  } finally {
    await proxy.stop('SIGINT');
  }
  const all = await events(capture);
  const injected = interventions(all).filter((e) => e.intervention.action === 'inject');
  assert.equal(injected.length, 1);
  assert.equal(injected[0].session, 1);
  assert.equal(injected[0].intervention.toward, 'client');
  const toClient = all.filter((e) => e.type === 'data' && e.layer === 'delivered' && e.session === 1 && e.direction === 'server')
    .map((e) => (e as Extract<ProxyEvent, { type: 'data' }>).bytes.toString('latin1')).join('');
  assert.match(toClient, /\* BYE imapdbg says goodbye\r\n/);
  // The BYE is imapdbg's: no server frame of session 1 carries it.
  assert.ok(!all.some((e) => e.type === 'frame' && e.frame.session === 1 && e.frame.verb === 'BYE' && e.frame.direction === 'server' &&
    e.frame.parts.some((p) => p.type === 'line' && p.line.text.includes('imapdbg says goodbye'))));
  const opened = all.filter((e) => e.type === 'session-open').length;
  assert.equal(opened, 2, 'the reconnect is a new session');
  const text = await runImapdbg(['export', '--format', 'text', capture]);
  assert.match(text.stdout.toString(), /P>C/, 'export marks the bytes imapdbg sent');
});

test('delay 500ms ~c DONE: the IDLE\'s tagged OK comes at least 500 ms after DONE, in the capture and in stats', async () => {
  const capture = path.join(dir, 'delay.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', capture, '--rule', 'delay 500ms ~c DONE']);
  const script = String.raw`
import imaplib, sys, time, json
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
M.select('INBOX')
tag = M._new_tag()
M.send(tag + b' IDLE\r\n')
assert M.readline().startswith(b'+')
t0 = time.monotonic()
M.send(b'DONE\r\n')
line = M.readline()
print(json.dumps({'ok': line.decode().strip(), 'ms': (time.monotonic() - t0) * 1000}))
M.logout()
`;
  let clientMs: number;
  try {
    const r = await runPython(script, [String(proxy.port), 'carol', PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ok: string; ms: number };
    assert.match(out.ok, /OK/);
    clientMs = out.ms;
  } finally {
    await proxy.stop('SIGINT');
  }
  assert.ok(clientMs >= 500, `the client waited ${clientMs} ms for its OK`);
  const s = await stats(capture);
  const idle = s[0].commands.find((c) => c.command === 'IDLE');
  assert.ok(idle && idle.latency.maxUs >= 500_000, JSON.stringify(idle));
  assert.ok(s[0].changes.some((c) => c.action === 'delay' && c.count === 1), JSON.stringify(s[0].changes));
});

test('replace on a FETCH response with a literal: the client gets a well-framed, changed message', async () => {
  const capture = path.join(dir, 'replace.pcapng');
  await appendMessage(dovecot, 'carol', 'INBOX', Buffer.from('From: a@localhost\r\nSubject: replace me\r\n\r\nthe words hello world are here\r\n'));
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--headless', '--record', capture,
    '--rule', "replace /hello world/ 'HELLO, WONDERFUL NEW WORLD' ~c FETCH"]);
  const script = String.raw`
import imaplib, sys, json
M = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
M.select('INBOX')
typ, data = M.fetch('1', '(BODY.PEEK[])')
body = data[0][1]
typ2, data2 = M.noop()
print(json.dumps({'typ': typ, 'head': data[0][0].decode(), 'len': len(body), 'has_new': b'HELLO, WONDERFUL NEW WORLD' in body, 'has_old': b'hello world' in body, 'noop': typ2}))
M.logout()
`;
  try {
    const r = await runPython(script, [String(proxy.port), 'carol', PASSWORD]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { typ: string; head: string; len: number; has_new: boolean; has_old: boolean; noop: string };
    assert.equal(out.typ, 'OK');
    assert.equal(out.has_new, true);
    assert.equal(out.has_old, false);
    // The literal count announces the new size, and the next command still works: well framed.
    const announced = Number(/\{(\d+)\}$/.exec(out.head)?.[1]);
    assert.equal(announced, out.len, out.head);
    assert.equal(out.noop, 'OK');
  } finally {
    await proxy.stop('SIGINT');
  }
  const all = await events(capture);
  const replaced = interventions(all).filter((e) => e.intervention.action === 'replace');
  assert.ok(replaced.length >= 1);
  // The wire record keeps what Dovecot sent.
  const fromServer = all.filter((e) => e.type === 'data' && e.layer === 'wire' && e.direction === 'server')
    .map((e) => (e as Extract<ProxyEvent, { type: 'data' }>).bytes.toString('latin1')).join('');
  assert.match(fromServer, /hello world/);
});

test('bad rules: one clear line with the column, exit 2, nothing listens', () => {
  for (const [args, expected] of [
    [['--rule', 'delay soon ~c DONE'], /--rule 1 .*column 7/],
    [['--rule', 'drop', '--rule', 'frobnicate ~c FETCH'], /--rule 2 .*column 1: unknown action "frobnicate"/],
    [['--rule', "drop ~c (FETCH"], /column \d+/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'proxy', '--headless', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${dovecot.port}`, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], expected);
    assert.doesNotMatch(r.stderr, /listening/);
  }
  const file = path.join(dir, 'bad.rules');
  fs.writeFileSync(file, '# lab\nhide-capability IDLE\n\nthrottle fast\n');
  const r = spawnSync(process.execPath, [BIN, 'proxy', '--headless', '--upstream', `127.0.0.1:${dovecot.port}`, '--rules', file], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), new RegExp(`^imapdbg: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:10: `));
});
