// Issue 4 end to end: the secret of AUTHENTICATE PLAIN and LOGIN masked in every output, revealed
// only with --reveal-secrets; auth phases annotated without the secret.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg } from '../harness/imapdbg-process';
import { readUntil } from '../harness/lines';
import { runPython } from '../harness/python';
import { captureEvents, sessionFrames } from './capture-check';
import { PY_AUTH_PLAIN, rawConnect, startChain } from './phases-clients';

const PASSWORD = 'Plain-Pass-77';
const SASL = Buffer.from(`\0alice\0${PASSWORD}`).toString('base64');
let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD, bob: 'hunter2' } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-auth-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Run python's AUTHENTICATE PLAIN through a proxy started with `extra`; returns the capture and the headless output. */
async function authenticateThroughProxy(name: string, extra: string[]): Promise<{ capture: string; headless: string }> {
  const capture = path.join(dir, name);
  const chain = await startChain(dovecot, capture, extra);
  try {
    const py = await runPython(PY_AUTH_PLAIN, ['127.0.0.1', String(chain.tapC.port), 'alice', PASSWORD]);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /AUTH OK/);
  } finally {
    await chain.close();
  }
  return { capture, headless: chain.proxy.stdout() };
}

const outputs = async (capture: string, reveal: string[]): Promise<Record<string, string>> => ({
  text: (await runImapdbg(['export', capture, ...reveal])).stdout.toString(),
  json: (await runImapdbg(['export', capture, '--format', 'json', ...reveal])).stdout.toString(),
  lint: (await runImapdbg(['lint', capture, ...reveal])).stdout.toString(),
  stats: (await runImapdbg(['stats', capture, '--json'])).stdout.toString(),
});

test('AUTHENTICATE PLAIN (python imaplib): SASL data masked in headless, text, JSON, lint and stats output', async () => {
  const { capture, headless } = await authenticateThroughProxy('plain.imapcap', []);
  assert.ok(fs.readFileSync(capture, 'utf8').length > 0);
  assert.equal(fs.statSync(capture).mode & 0o777, 0o600, 'the capture holds raw secrets: owner only');
  const all: Record<string, string> = { headless, ...(await outputs(capture, [])) };
  for (const [name, text] of Object.entries(all)) {
    assert.ok(!text.includes(SASL), `${name} shows the SASL response`);
    assert.ok(!text.includes(PASSWORD), `${name} shows the password`);
  }
  assert.match(headless, /C: \*{8} {2}\[auth-response tag=\S+ round=1\]/);
  assert.match(all.text, /C: \*{8} {2}\[auth-response/);
  assert.ok(all.json.split('\n').some((l: string) => l.includes('"kind":"sasl"') && l.includes('"text":"********"')));

  // The phases: mechanism, one round with an empty challenge, success; no secret in any annotation.
  const frames = sessionFrames(await captureEvents(capture), 1);
  const phases = frames.flatMap((f) => f.annotations.flatMap((a): Array<Record<string, string | number | boolean>> => (a.kind === 'phase' && a.phase.startsWith('auth-') ? [{ phase: a.phase, ...a.detail }] : [])));
  assert.deepEqual(phases.map((p) => p.phase), ['auth-started', 'auth-challenge', 'auth-response', 'auth-succeeded']);
  assert.equal(phases[0].mechanism, 'PLAIN');
  assert.equal(phases[0].saslIr, false);
  assert.equal(phases[1].empty, true);
  assert.ok(!JSON.stringify(frames.map((f) => f.annotations)).includes(SASL));
});

test('--reveal-secrets shows the SASL response in headless, text and JSON output', async () => {
  const { capture, headless } = await authenticateThroughProxy('plain-revealed.imapcap', ['--reveal-secrets']);
  assert.ok(headless.includes(`C: ${SASL}`));
  const revealed = await outputs(capture, ['--reveal-secrets']);
  assert.ok(revealed.text.includes(`C: ${SASL}`));
  assert.ok(revealed.json.includes(`"text":"${SASL}"`));
});

test('lint prints the frame of a finding with the LOGIN password masked, revealed only with --reveal-secrets', async () => {
  const capture = path.join(dir, 'login-lf.imapcap');
  const chain = await startChain(dovecot, capture);
  let sock: Socket | undefined;
  try {
    sock = await rawConnect(chain.tapC.port);
    await readUntil(sock, (l) => l.startsWith('* OK'));
    // A bare LF instead of CRLF: Dovecot accepts it, the linter flags it (RFC 3501 2.2).
    sock.write(`a1 LOGIN alice ${PASSWORD}\n`);
    const reply = await readUntil(sock, (l) => l.startsWith('a1 '));
    assert.match(reply[reply.length - 1], /^a1 OK/);
    sock.write('a2 LOGOUT\r\n');
    await readUntil(sock, (l) => l.startsWith('a2 '));
  } finally {
    sock?.destroy();
    await chain.close();
  }
  const masked = await runImapdbg(['lint', capture]);
  assert.equal(masked.code, 1);
  assert.match(masked.stdout.toString(), /error bare-lf \(RFC 3501 2\.2\): a line from the client ended by a bare LF.*\n(?:\S.*\n)* {4}\S+ #1 C: a1 LOGIN alice \*{8}\n/);
  assert.ok(!masked.stdout.toString().includes(PASSWORD));
  const revealed = await runImapdbg(['lint', capture, '--reveal-secrets']);
  assert.match(revealed.stdout.toString(), new RegExp(`C: a1 LOGIN alice ${PASSWORD}\\n`));
});
