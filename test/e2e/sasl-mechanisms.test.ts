// Issue 12 end to end: SASL exchanges through the real bin/imapdbg, decoded in the annotations
// with their secrets (SCRAM proof, CRAM-MD5 digest, LOGIN password, OAuth2 token) in no output
// unless --reveal-secrets. SCRAM, CRAM-MD5 and LOGIN against a real Dovecot; XOAUTH2/OAUTHBEARER
// against Dovecot's oauth2 passdb with a local token introspection endpoint, and against a small
// fake server for Google's exact error JSON and a -PLUS offer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { runPython } from '../harness/python';
import { captureEvents } from './capture-check';
import { startChain } from './phases-clients';
import { PY_CRAM_AND_LOGIN, PY_OAUTH, PY_SCRAM } from './sasl-clients';

const PASSWORD = 'Scram-Pass-91';
const TOKEN = 'ya29.a0-E2E-TOKEN-4242';
const ERROR_JSON = '{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}';
let dovecot: DovecotInstance;
let dir: string;

before(async () => {
  dovecot = await startDovecot({ users: { alice: PASSWORD }, extraConfig: ['auth_mechanisms = plain login scram-sha-256 cram-md5'] });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-sasl-'));
});
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Everything a user reads of a capture: text and JSON export, lint; and the capture's annotations. */
interface Outputs { text: string; json: string; lint: string; annotations: string }

async function outputs(capture: string, reveal: string[]): Promise<Outputs> {
  return {
    text: (await runImapdbg(['export', capture, ...reveal])).stdout.toString(),
    json: (await runImapdbg(['export', capture, '--format', 'json', ...reveal])).stdout.toString(),
    lint: (await runImapdbg(['lint', capture, ...reveal])).stdout.toString(),
    annotations: JSON.stringify((await captureEvents(capture)).flatMap((e) => ('frame' in e ? [e.frame.annotations] : []))),
  };
}

function assertAbsent(all: Outputs & { headless: string }, secrets: string[]): void {
  for (const [name, text] of Object.entries(all)) {
    for (const s of secrets) assert.ok(!text.includes(s), `${name} shows ${s}`);
  }
}

test('SCRAM-SHA-256 against Dovecot: exchange shown, proof masked everywhere, revealed with --reveal-secrets', async () => {
  for (const reveal of [[], ['--reveal-secrets']]) {
    const capture = path.join(dir, `scram${reveal.length}.imapcap`);
    const chain = await startChain(dovecot, capture, reveal);
    let py;
    try {
      py = await runPython(PY_SCRAM, ['127.0.0.1', String(chain.tapC.port), 'alice', PASSWORD]);
    } finally {
      await chain.close();
    }
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /AUTH OK/);
    const proof = /PROOF (\S+)/.exec(py.stdout)?.[1] ?? 'missing';
    const final = /FINAL (\S+)/.exec(py.stdout)?.[1] ?? 'missing';
    const headless = chain.proxy.stdout();
    assert.match(headless, /\[sasl tag=\S+ from=client round=1 step=client-first channelBinding=none user=alice nonce=\S+\]/);
    assert.match(headless, /\[sasl tag=\S+ from=server round=2 step=server-first nonceExtendsClient=true salt=\S+ iterations=\d+\]/);
    assert.match(headless, /step=client-final channelBinding=none nonceMatches=true proof=\*{8}\]/);
    assert.match(headless, /step=server-final verifier=\*{8}\]/);
    const all = { headless, ...(await outputs(capture, reveal)) };
    if (reveal.length === 0) {
      assertAbsent(all, [proof, final]);
    } else {
      assert.ok(headless.includes(final) && all.text.includes(final), 'the client-final line is shown with --reveal-secrets');
      assert.ok(!all.annotations.includes(proof), 'annotations never carry the proof');
    }
  }
});

test('CRAM-MD5 and AUTHENTICATE LOGIN against Dovecot: user shown, digest and password masked', async () => {
  const capture = path.join(dir, 'cram.imapcap');
  const chain = await startChain(dovecot, capture);
  let py;
  try {
    py = await runPython(PY_CRAM_AND_LOGIN, ['127.0.0.1', String(chain.tapC.port), 'alice', PASSWORD]);
  } finally {
    await chain.close();
  }
  assert.equal(py.code, 0, py.stderr);
  const headless = chain.proxy.stdout();
  assert.match(headless, /step=server-challenge challenge=<[^>]+>\]/);
  assert.match(headless, /step=client-response user=alice digest=\*{8}\]/);
  assert.match(headless, /step=username user=alice\]/);
  assert.match(headless, /step=password password=\*{8}\]/);
  const all = { headless, ...(await outputs(capture, [])) };
  assertAbsent(all, [PASSWORD, Buffer.from(PASSWORD).toString('base64')]);
  // The CRAM-MD5 response line (base64 of "alice <digest>") is masked as a whole.
  assert.doesNotMatch(all.text, /C: YWxpY2Ug/);
});

/** A fake OAuth2 IMAP server: XOAUTH2 refused with the RFC 7628 error JSON, OAUTHBEARER accepted. */
function startOAuthServer(): Promise<net.Server> {
  const server = net.createServer((sock) => {
    const caps = 'IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER AUTH=SCRAM-SHA-256-PLUS';
    sock.write(`* OK [CAPABILITY ${caps}] fake ready\r\n`);
    let buf = '';
    let pending: { tag: string; mech: string; failed: boolean } | undefined;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (pending) {
          const p = pending;
          if (p.mech === 'XOAUTH2' && !p.failed) {
            p.failed = true;
            sock.write(`+ ${Buffer.from(ERROR_JSON).toString('base64')}\r\n`);
          } else if (p.mech === 'XOAUTH2') {
            pending = undefined;
            sock.write(`${p.tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n`);
          } else {
            pending = undefined;
            sock.write(`${p.tag} OK Logged in\r\n`);
          }
          continue;
        }
        const [tag, verb, mech] = line.split(' ');
        if (verb?.toUpperCase() === 'AUTHENTICATE') {
          pending = { tag, mech: (mech ?? '').toUpperCase(), failed: false };
          sock.write('+ \r\n');
        } else if (verb?.toUpperCase() === 'CAPABILITY') {
          sock.write(`* CAPABILITY ${caps}\r\n${tag} OK done\r\n`);
        } else if (verb?.toUpperCase() === 'LOGOUT') {
          sock.end(`* BYE bye\r\n${tag} OK done\r\n`);
        } else {
          sock.write(`${tag} BAD unknown\r\n`);
        }
      }
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('XOAUTH2 refused and OAUTHBEARER accepted (fake server): error JSON decoded, token in no output', async () => {
  const server = await startOAuthServer();
  const port = (server.address() as net.AddressInfo).port;
  try {
    for (const reveal of [[], ['--reveal-secrets']]) {
      const capture = path.join(dir, `oauth${reveal.length}.imapcap`);
      const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${port}`, '--headless', '--utc', '--record', capture, ...reveal]);
      let py;
      try {
        py = await runPython(PY_OAUTH, ['127.0.0.1', String(proxy.port), 'alice@example.com', TOKEN, TOKEN]);
      } finally {
        await proxy.stop();
      }
      assert.equal(py.code, 0, py.stderr);
      assert.ok(py.stdout.includes(`ERROR ${ERROR_JSON}`), py.stdout);
      const headless = proxy.stdout();
      assert.match(headless, /\[sasl tag=\S+ from=client round=1 step=client-response user=alice@example\.com scheme=Bearer token=\*{8}\]/);
      assert.match(headless, /\[sasl tag=\S+ from=server round=2 step=server-error status=400 schemes=Bearer scope=https:\/\/mail\.google\.com\/\]/);
      assert.match(headless, /step=client-response user=alice@example\.com host=127\.0\.0\.1 port=\d+ scheme=Bearer token=\*{8}\]/);
      const all = { headless, ...(await outputs(capture, reveal)) };
      assert.match(all.lint, /sasl-channel-binding-offered/);
      if (reveal.length === 0) {
        assertAbsent(all, [TOKEN, Buffer.from(`user=alice@example.com\x01auth=Bearer ${TOKEN}\x01\x01`).toString('base64')]);
      } else {
        const line = Buffer.from(`user=alice@example.com\x01auth=Bearer ${TOKEN}\x01\x01`).toString('base64');
        assert.ok(headless.includes(line) && all.text.includes(line), 'the XOAUTH2 response is shown with --reveal-secrets');
        assert.ok(!all.annotations.includes(TOKEN), 'annotations never carry the token');
      }
    }
  } finally {
    server.close();
  }
});

/** A token introspection endpoint (RFC 7662 style, as Dovecot's oauth2 passdb POSTs it): `good` is active for alice. */
async function startIntrospection(good: string): Promise<{ server: http.Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      seen.push(body);
      const token = new URLSearchParams(body).get('token');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(token === good ? { active: 'true', username: 'alice' } : { active: 'false' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/introspect`, seen };
}

test('XOAUTH2 refused and OAUTHBEARER accepted by Dovecot\'s oauth2 passdb: real error JSON decoded, tokens in no output', async () => {
  const bad = 'bad.TOKEN-E2E-0001';
  const good = 'good.TOKEN-E2E-0002';
  const idp = await startIntrospection(good);
  const confDir = fs.mkdtempSync(path.join(dir, 'oauth-conf-'));
  fs.chmodSync(confDir, 0o755);
  const conf = path.join(confDir, 'oauth2.conf.ext');
  fs.writeFileSync(conf, ['introspection_mode = post', `introspection_url = ${idp.url}`, 'username_attribute = username',
    'active_attribute = active', 'active_value = true', ''].join('\n'), { mode: 0o644 });
  const oauthDovecot = await startDovecot({ users: { alice: PASSWORD }, extraConfig: ['auth_mechanisms = plain login xoauth2 oauthbearer',
    'passdb {', '  driver = oauth2', '  mechanisms = xoauth2 oauthbearer', `  args = ${conf}`, '}'] });
  try {
    const capture = path.join(dir, 'oauth-dovecot.imapcap');
    const chain = await startChain(oauthDovecot, capture);
    let py;
    try {
      py = await runPython(PY_OAUTH, ['127.0.0.1', String(chain.tapC.port), 'alice', bad, good]);
    } finally {
      await chain.close();
    }
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /XOAUTH2 NO/);
    assert.match(py.stdout, /AUTH OK/);
    assert.ok(idp.seen.some((b) => b.includes(bad)) && idp.seen.some((b) => b.includes(good)), 'Dovecot asked the endpoint about both tokens');
    const headless = chain.proxy.stdout();
    assert.match(headless, /step=client-response user=alice scheme=Bearer token=\*{8}\]/);
    // Dovecot 2.3's error: {"status":"401","schemes":"bearer","scope":"mail"}.
    assert.match(headless, /\[sasl tag=\S+ from=server round=2 step=server-error status=401 schemes=bearer scope=mail\]/);
    assert.match(headless, /\[auth-failed [^\]]*mechanism=XOAUTH2/);
    assert.match(headless, /\[auth-succeeded [^\]]*mechanism=OAUTHBEARER/);
    const all = { headless, ...(await outputs(capture, [])) };
    assertAbsent(all, [bad, good]);
  } finally {
    await oauthDovecot.stop();
    idp.server.close();
  }
});
