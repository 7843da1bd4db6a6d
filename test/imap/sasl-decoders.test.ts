import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Frame } from '../../src/imap/frame';
import { frameText } from '../../src/imap/frame-text';
import { annotationText } from '../../src/imap/notation';
import { modelEverySplit, phaseDetail, type ModelRun } from './session-harness';
import { transcript } from './transcript';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const run = (text: string): ModelRun => modelEverySplit(transcript(text));
const GREET = 'S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER AUTH=SCRAM-SHA-256] ready';
const TOKEN = 'ya29.SECRET-TOKEN-VALUE';

/** Every text a user can see of a run (frame text masked, annotations), to check that a secret is absent. */
function shown(r: ModelRun): string {
  return r.frames.map((f: Frame) => `${frameText(f, { revealSecrets: false })} ${f.annotations.map(annotationText).join(' ')} ${JSON.stringify(f.annotations)}`).join('\n');
}

test('XOAUTH2 with SASL-IR: user and scheme shown, token masked; the error JSON decoded', () => {
  const ir = b64(`user=alice@example.com\x01auth=Bearer ${TOKEN}\x01\x01`);
  const err = b64('{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}');
  const r = run(`
    ${GREET}
    C: a1 AUTHENTICATE XOAUTH2 ${ir}
    S: + ${err}
    C: ${b64('\x01')}
    S: a1 NO [AUTHENTICATIONFAILED] Invalid credentials
  `);
  const f = r.frames;
  assert.deepEqual(phaseDetail(f[1], 'sasl'), { tag: 'a1', from: 'client', round: 0, step: 'client-response', user: 'alice@example.com', scheme: 'Bearer', token: '********' });
  assert.deepEqual(phaseDetail(f[2], 'sasl'), { tag: 'a1', from: 'server', round: 1, step: 'server-error', status: '400', schemes: 'Bearer', scope: 'https://mail.google.com/' });
  assert.deepEqual(phaseDetail(f[3], 'sasl'), { tag: 'a1', from: 'client', round: 1, step: 'error-acknowledged' });
  const all = shown(r);
  assert.ok(!all.includes(TOKEN) && !all.includes(ir), 'the token is in no output');
  assert.ok(frameText(f[1], { revealSecrets: true }).includes(ir), 'shown with --reveal-secrets');
});

test('OAUTHBEARER after "+": GS2 authzid, host, port, scheme; token masked', () => {
  const resp = b64(`n,a=bob=2Cx@example.com,\x01host=imap.example.com\x01port=993\x01auth=Bearer ${TOKEN}\x01\x01`);
  const r = run(`
    S: * OK [CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER] ready
    C: a1 AUTHENTICATE OAUTHBEARER
    S: +
    C: ${resp}
    S: a1 OK done
  `);
  assert.deepEqual(phaseDetail(r.frames[3], 'sasl'), { tag: 'a1', from: 'client', round: 1, step: 'client-response', user: 'bob,x@example.com', host: 'imap.example.com', port: '993', scheme: 'Bearer', token: '********' });
  assert.ok(!shown(r).includes(TOKEN));
});

test('an error challenge with hostile JSON: bounded, reserved keys kept, terminal controls escaped in text', () => {
  const long = 'x'.repeat(400);
  const err = b64(JSON.stringify({ status: '401\x1b]0;pwn\x07', tag: 'forged', scope: long, n1: 1, n2: 2, n3: 3, n4: 4, n5: 5, n6: 6, n7: 7 }));
  const r = run(`
    ${GREET}
    C: a1 AUTHENTICATE XOAUTH2 ${b64(`user=a\x01auth=Bearer t\x01\x01`)}
    S: + ${err}
  `);
  const d = phaseDetail(r.frames[2], 'sasl') ?? {};
  assert.equal(d.tag, 'a1');
  assert.equal(String(d.scope).length, 259);
  assert.equal(d.more, true);
  const text = r.frames[2].annotations.map(annotationText).join(' ');
  assert.ok(text.includes('\x1b'), 'annotationText is raw; the printers escape it (notation frameLine)');
});

test('not base64, and a mechanism without decoder: no decoded values', () => {
  const r = run(`
    ${GREET}
    C: a1 AUTHENTICATE XOAUTH2 not*base64
    S: a1 BAD bad
    C: a2 AUTHENTICATE GSSAPI ${b64('whatever')}
    S: a2 NO no
  `);
  assert.deepEqual(phaseDetail(r.frames[1], 'sasl'), { tag: 'a1', from: 'client', round: 0, base64: false });
  assert.equal(phaseDetail(r.frames[3], 'sasl'), undefined);
});

test('SCRAM-SHA-256: user, nonces, salt and iterations shown; proof and verifier masked', () => {
  const proof = 'dHJ1c3QgbWUgdGhpcyBpcyBhIHByb29m';
  const verifier = 'c2VydmVyIHNpZ25hdHVyZSBoZXJl';
  const r = run(`
    ${GREET}
    C: a1 AUTHENTICATE SCRAM-SHA-256
    S: +
    C: ${b64('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')}
    S: + ${b64('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')}
    C: ${b64(`c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=${proof}`)}
    S: + ${b64(`v=${verifier}`)}
    C:
    S: a1 OK done
  `);
  const f = r.frames;
  assert.deepEqual(phaseDetail(f[3], 'sasl'), { tag: 'a1', from: 'client', round: 1, step: 'client-first', channelBinding: 'none', user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' });
  assert.deepEqual(phaseDetail(f[4], 'sasl'), { tag: 'a1', from: 'server', round: 2, step: 'server-first', nonceExtendsClient: true, salt: 'W22ZaJ0SNY7soEsUEjb6gQ==', iterations: 4096 });
  assert.deepEqual(phaseDetail(f[5], 'sasl'), { tag: 'a1', from: 'client', round: 2, step: 'client-final', channelBinding: 'none', nonceMatches: true, proof: '********' });
  assert.deepEqual(phaseDetail(f[6], 'sasl'), { tag: 'a1', from: 'server', round: 3, step: 'server-final', verifier: '********' });
  assert.deepEqual(phaseDetail(f[7], 'sasl'), { tag: 'a1', from: 'client', round: 3, step: 'client-ack' });
  const all = shown(r);
  assert.ok(!all.includes(proof) && !all.includes(verifier));
  // The raw server-final line is masked like the client's proof, and shown with --reveal-secrets.
  assert.ok(!all.includes(b64(`v=${verifier}`)), 'the server-final line is masked');
  assert.ok(frameText(f[6], { revealSecrets: true }).includes(b64(`v=${verifier}`)));
  assert.ok(frameText(f[4], { revealSecrets: false }).includes(b64('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), 'the server-first line is not masked');
});

test('SCRAM -PLUS client-first names its channel binding; a server e= error is shown', () => {
  const r = run(`
    S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256-PLUS] ready
    C: a1 AUTHENTICATE SCRAM-SHA-256-PLUS ${b64('p=tls-exporter,,n=u,r=abc')}
    S: + ${b64('e=channel-bindings-dont-match')}
    C: *
    S: a1 BAD cancelled
  `);
  assert.equal(phaseDetail(r.frames[1], 'sasl')?.channelBinding, 'tls-exporter');
  assert.deepEqual(phaseDetail(r.frames[2], 'sasl'), { tag: 'a1', from: 'server', round: 1, step: 'server-final', error: 'channel-bindings-dont-match' });
  assert.equal(phaseDetail(r.frames[3], 'sasl'), undefined, 'the cancel line is not decoded');
});

test('LOGIN and CRAM-MD5: user shown, password and digest masked', () => {
  const r = run(`
    ${GREET}
    C: a1 AUTHENTICATE LOGIN
    S: + ${b64('Username:')}
    C: ${b64('carol')}
    S: + ${b64('Password:')}
    C: ${b64('hunter2')}
    S: a1 NO no
    C: a2 AUTHENTICATE CRAM-MD5
    S: + ${b64('<1896.697170952@postoffice.example.net>')}
    C: ${b64('tim b913a602c7eda7a495b4e6e7334d3890')}
    S: a2 OK done
  `);
  const f = r.frames;
  assert.deepEqual(phaseDetail(f[2], 'sasl'), { tag: 'a1', from: 'server', round: 1, step: 'prompt', prompt: 'Username:' });
  assert.deepEqual(phaseDetail(f[3], 'sasl'), { tag: 'a1', from: 'client', round: 1, step: 'username', user: 'carol' });
  assert.deepEqual(phaseDetail(f[5], 'sasl'), { tag: 'a1', from: 'client', round: 2, step: 'password', password: '********' });
  assert.deepEqual(phaseDetail(f[8], 'sasl'), { tag: 'a2', from: 'server', round: 1, step: 'server-challenge', challenge: '<1896.697170952@postoffice.example.net>' });
  assert.deepEqual(phaseDetail(f[9], 'sasl'), { tag: 'a2', from: 'client', round: 1, step: 'client-response', user: 'tim', digest: '********' });
  const all = shown(r);
  for (const secret of ['hunter2', b64('hunter2'), 'b913a602c7eda7a495b4e6e7334d3890']) assert.ok(!all.includes(secret), secret);
});

test('PLAIN with SASL-IR: the user shown, the password masked', () => {
  const r = run(`
    ${GREET}
    C: a1 AUTHENTICATE PLAIN ${b64('\0alice\0s3cret-pw')}
    S: a1 OK done
  `);
  assert.deepEqual(phaseDetail(r.frames[1], 'sasl'), { tag: 'a1', from: 'client', round: 0, step: 'client-response', user: 'alice', password: '********' });
  assert.ok(!shown(r).includes('s3cret-pw'));
});
