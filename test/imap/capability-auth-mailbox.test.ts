import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK } from '../../src/imap/frame-text';
import { allFindings, modelEverySplit, phaseDetail, phases } from './session-harness';
import { transcript } from './transcript';

test('capabilities: greeting code, CAPABILITY response, after STARTTLS (discarded), after login', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready
    C: a1 CAPABILITY
    S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED
    S: a1 OK done
    C: a2 STARTTLS
    S: a2 OK Begin TLS negotiation now
    C: a3 CAPABILITY
    S: * CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE
    S: a3 OK done
    C: a4 LOGIN alice secret
    S: a4 OK [CAPABILITY IMAP4rev1 IDLE COMPRESS=DEFLATE] Logged in
  `));
  const f = run.frames;
  assert.deepEqual(phaseDetail(f[0], 'capabilities'), { via: 'greeting', stage: 'not authenticated', tls: false, count: 3 });
  assert.deepEqual(phaseDetail(f[2], 'capabilities'), { via: 'CAPABILITY response', stage: 'not authenticated', tls: false, count: 3 });
  assert.deepEqual(phases(f[5]), ['capabilities-discarded']);
  // After the discard there is no previous list to diff against.
  assert.deepEqual(phaseDetail(f[7], 'capabilities'), { via: 'CAPABILITY response', stage: 'not authenticated', tls: true, count: 3 });
  assert.deepEqual(phaseDetail(f[10], 'capabilities'), {
    via: 'LOGIN OK', stage: 'authenticated', tls: true, count: 3, added: 'COMPRESS=DEFLATE', removed: 'AUTH=PLAIN',
  });
  // LOGINDISABLED was announced before STARTTLS only, so this LOGIN is fine.
  assert.deepEqual(allFindings(run), []);
});

test('LOGIN: started and succeeded; the password appears in no annotation', () => {
  const run = modelEverySplit(transcript(`
    S: * OK ready
    C: a1 LOGIN alice "s3cr3t pw"
    S: a1 NO [AUTHENTICATIONFAILED] Authentication failed.
    C: a2 LOGIN alice s3cr3t
    S: a2 OK Logged in
  `));
  const f = run.frames;
  assert.deepEqual(phaseDetail(f[1], 'auth-started'), { tag: 'a1', method: 'LOGIN' });
  assert.deepEqual(phaseDetail(f[2], 'auth-failed'), { tag: 'a1', method: 'LOGIN', status: 'NO', code: 'AUTHENTICATIONFAILED' });
  assert.deepEqual(phaseDetail(f[4], 'auth-succeeded'), { tag: 'a2', method: 'LOGIN' });
  assert.doesNotMatch(JSON.stringify(f.map((x) => x.annotations)), /s3cr3t/);
});

test('AUTHENTICATE: mechanism, SASL rounds, "*" cancel, SASL-IR; secrets stay out of annotations', () => {
  const ir = Buffer.from('\0alice\0secret').toString('base64');
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN SASL-IR] ready
    C: a1 AUTHENTICATE LOGIN
    S: + VXNlcm5hbWU6
    C: YWxpY2U=
    S: + UGFzc3dvcmQ6
    C: *
    S: a1 BAD Authentication aborted by client
    C: a2 AUTHENTICATE PLAIN
    S: +
    C: ${ir}
    S: a2 NO [AUTHENTICATIONFAILED] Authentication failed.
    C: a3 AUTHENTICATE PLAIN ${ir}
    S: a3 OK Logged in
  `));
  const f = run.frames;
  assert.deepEqual(f.map(phases).slice(1), [
    ['auth-started'], ['auth-challenge', 'sasl'], ['auth-response', 'sasl'], ['auth-challenge', 'sasl'], ['auth-cancelled'], ['auth-failed'],
    ['auth-started'], ['auth-challenge'], ['auth-response', 'sasl'], ['auth-failed'],
    ['auth-started', 'sasl'], ['auth-succeeded'],
  ]);
  assert.deepEqual(phaseDetail(f[1], 'auth-started'), { tag: 'a1', method: 'AUTHENTICATE', mechanism: 'LOGIN', saslIr: false });
  assert.deepEqual(phaseDetail(f[4], 'auth-challenge'), { tag: 'a1', round: 2, empty: false });
  assert.deepEqual(phaseDetail(f[5], 'auth-cancelled'), { tag: 'a1', round: 2 });
  assert.deepEqual(phaseDetail(f[6], 'auth-failed'), { tag: 'a1', method: 'AUTHENTICATE', mechanism: 'LOGIN', rounds: 2, status: 'BAD', cancelled: true });
  assert.deepEqual(phaseDetail(f[8], 'auth-challenge'), { tag: 'a2', round: 1, empty: true });
  assert.deepEqual(phaseDetail(f[11], 'auth-started'), { tag: 'a3', method: 'AUTHENTICATE', mechanism: 'PLAIN', saslIr: true });
  assert.deepEqual(phaseDetail(f[12], 'auth-succeeded'), { tag: 'a3', method: 'AUTHENTICATE', mechanism: 'PLAIN', rounds: 0 });
  const annotations = JSON.stringify(f.map((x) => x.annotations));
  assert.doesNotMatch(annotations, new RegExp(ir.replace(/[+/=]/g, '.')));
  assert.doesNotMatch(annotations, /YWxpY2U/);
  // The decoded SASL steps (sasl/) name the secret only by the fixed-width MASK: no length, no bytes.
  assert.doesNotMatch(annotations, /"password":"(?!\*{8}")/);
  assert.ok(annotations.includes(MASK));
  assert.deepEqual(allFindings(run), []);
});

test('mailbox: SELECT, EXISTS and EXPUNGE counts, UIDVALIDITY, EXAMINE, failed SELECT, CLOSE, UNSELECT', () => {
  const run = modelEverySplit(transcript(`
    S: * PREAUTH ready
    C: a1 SELECT "Sent Items"
    S: * 3 EXISTS
    S: * OK [UIDVALIDITY 1700000000] UIDs valid
    S: a1 OK [READ-WRITE] Select completed
    C: a2 NOOP
    S: * 4 EXISTS
    S: * 2 EXPUNGE
    S: * OK [UIDVALIDITY 1700000001] changed
    S: a2 OK done
    C: a3 CLOSE
    S: a3 OK closed
    C: a4 EXAMINE INBOX
    S: * 0 EXISTS
    S: a4 OK [READ-ONLY] Examine completed
    C: a5 SELECT Nope
    S: a5 NO Mailbox doesn't exist
    C: a6 NOOP
    S: * 5 EXISTS
    S: a6 OK done
    C: a7 SELECT INBOX
    S: a7 OK [READ-WRITE] ok
    C: a8 UNSELECT
    S: a8 OK Unselect completed
  `));
  const f = run.frames;
  assert.deepEqual(phaseDetail(f[0], 'auth-succeeded'), { method: 'PREAUTH' });
  assert.deepEqual(phaseDetail(f[1], 'mailbox-opening'), { tag: 'a1', mailbox: 'Sent Items', readOnly: false });
  assert.deepEqual(phaseDetail(f[4], 'mailbox-selected'), { mailbox: 'Sent Items', access: 'read-write', exists: 3, uidValidity: 1700000000 });
  assert.deepEqual(phaseDetail(f[6], 'mailbox-exists'), { mailbox: 'Sent Items', exists: 4, delta: 1 });
  assert.deepEqual(phaseDetail(f[7], 'mailbox-expunge'), { mailbox: 'Sent Items', message: 2, exists: 3, expunged: 1 });
  assert.deepEqual(phaseDetail(f[8], 'uidvalidity-changed'), { mailbox: 'Sent Items', uidValidity: 1700000001, previous: 1700000000 });
  assert.deepEqual(phaseDetail(f[11], 'mailbox-closed'), { mailbox: 'Sent Items', by: 'CLOSE', exists: 3, expunged: 1 });
  assert.deepEqual(phaseDetail(f[14], 'mailbox-selected'), { mailbox: 'INBOX', access: 'read-only', exists: 0 });
  assert.deepEqual(phaseDetail(f[16], 'mailbox-select-failed'), { tag: 'a5', mailbox: 'Nope', status: 'NO' });
  // RFC 3501 6.3.1: the failed SELECT deselected INBOX, so this EXISTS belongs to no mailbox.
  assert.deepEqual(phases(f[18]), []);
  assert.deepEqual(phaseDetail(f[23], 'mailbox-closed'), { mailbox: 'INBOX', by: 'UNSELECT', exists: 0, expunged: 0 });
  assert.deepEqual(allFindings(run), []);
});
