// STARTTLS lint rules as transcripts through the whole session model (default annotators), each
// dialog also re-run at every split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelEverySplit } from '../../imap/session-harness';
import { transcript } from '../../imap/transcript';
import type { Frame } from '../../../src/imap/frame';

function codes(frames: Frame[]): string[] {
  return frames.flatMap((f) => f.annotations.flatMap((a) => (a.kind === 'finding' && /starttls|cleartext/.test(a.finding.code) ? [`${f.tag ?? '*'} ${a.finding.code}`] : [])));
}

test('a clean STARTTLS then LOGIN raises nothing', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready
    C: a1 STARTTLS
    S: a1 OK Begin TLS negotiation now
    C: a2 CAPABILITY
    S: * CAPABILITY IMAP4rev1 AUTH=PLAIN
    S: a2 OK done
    C: a3 LOGIN alice secret
    S: a3 OK logged in
  `));
  assert.deepEqual(codes(run.frames), []);
});

test('LOGIN in clear text though STARTTLS was advertised', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready
    C: a1 LOGIN alice secret
    S: a1 OK logged in
  `));
  assert.deepEqual(codes(run.frames), ['a1 cleartext-login']);
});

test('STARTTLS not advertised, and STARTTLS after PREAUTH', () => {
  const notAdvertised = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready
    C: a1 STARTTLS
    S: a1 BAD no TLS here
  `));
  assert.deepEqual(codes(notAdvertised.frames), ['a1 starttls-not-advertised']);
  const preauth = modelEverySplit(transcript(`
    S: * PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as alice
    C: a1 STARTTLS
    S: a1 BAD already authenticated
  `));
  assert.deepEqual(codes(preauth.frames), ['a1 starttls-while-authenticated']);
});

test('a command pipelined after STARTTLS, and STARTTLS twice', () => {
  const run = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 STARTTLS] ready
    C: a1 STARTTLS
    C: a2 LOGIN alice secret
    S: a1 OK Begin TLS negotiation now
    C: a3 STARTTLS
    S: a3 BAD TLS is already active
  `));
  assert.deepEqual(codes(run.frames), ['a2 starttls-pipelined', 'a2 cleartext-login', 'a3 starttls-twice']);
});
