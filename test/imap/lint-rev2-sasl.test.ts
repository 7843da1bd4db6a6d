import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quotedHasEightBit } from '../../src/imap/lint/rev2-rules';
import { allFindings, findingOn, modelEverySplit, phaseDetail } from './session-harness';
import { transcript } from './transcript';

const lint = (text: string): string[] => allFindings(modelEverySplit(transcript(text)));
const body = (n: number): string => 'x'.repeat(n);

test('recent-after-imap4rev2: after ENABLE IMAP4rev2, and from a rev2-only server; not under rev1', () => {
  const r = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 ENABLE] ready
    C: a1 ENABLE IMAP4rev2
    S: * ENABLED IMAP4rev2
    S: a1 OK enabled
    C: a2 SELECT INBOX
    S: * 3 EXISTS
    S: * 0 RECENT
    S: a2 OK done
  `));
  assert.deepEqual(allFindings(r), ['recent-after-imap4rev2@6']);
  assert.deepEqual(phaseDetail(r.frames[2], 'extensions-enabled'), { enabled: 'IMAP4REV2', added: 'IMAP4REV2', imap4rev2: true });
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev2] ready
    C: a2 SELECT INBOX
    S: * 0 RECENT
    S: a2 OK done
  `), ['recent-after-imap4rev2@2']);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 ENABLE] ready
    C: a2 SELECT INBOX
    S: * 0 RECENT
    S: a2 OK done
  `), []);
});

test('utf8-quoted-not-enabled: 8-bit quoted text before ENABLE UTF8=ACCEPT; none after it, under rev2, or in literals', () => {
  const cafe = 'Caf\xc3\xa9';
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready
    C: a1 SELECT "${cafe}"
    S: a1 NO no
    S: * LIST () "/" "${cafe}"
  `), ['mailbox-name-bad-utf7@1', 'utf8-quoted-not-enabled@1', 'utf8-quoted-not-enabled@3']);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready
    C: a0 LOGIN "${cafe}" "p\xc3\xa4ss"
    S: a0 OK done
    S: * OK [CAPABILITY IMAP4rev1] ready
    C: a1 LOGIN "${cafe}" pass
    S: a1 OK done
  `), ['utf8-quoted-not-enabled@4']);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready
    C: a0 ENABLE UTF8=ACCEPT
    S: * ENABLED UTF8=ACCEPT
    S: a0 OK done
    C: a1 SELECT "${cafe}"
    S: a1 NO no
  `), []);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev2] ready
    C: a1 SELECT "${cafe}"
    S: a1 NO no
  `), []);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready
    C: a1 SELECT {5+}
    C: ${cafe}
    S: a1 NO no
    C: a2 SELECT Caf&AOk-
    S: a2 NO no
  `), []);
  assert.equal(quotedHasEightBit('a "b\\"\xe9" c'), true);
  assert.equal(quotedHasEightBit('\xe9 "plain"'), false);
});

test('LITERAL- by IMAP4rev2: {N+} over 4096 to a rev2 server without LITERAL+ is an error; up to 4096 is fine', () => {
  const rev2 = 'S: * OK [CAPABILITY IMAP4rev2] ready';
  const r = modelEverySplit(transcript(`
    ${rev2}
    C: a1 APPEND INBOX {4097+}
    C: ${body(4097)}
    S: a1 OK done
  `));
  assert.deepEqual(allFindings(r), ['non-sync-literal-too-large@1']);
  assert.match(findingOn(r.frames[1], 'non-sync-literal-too-large')?.message ?? '', /IMAP4rev2 implies LITERAL-/);
  assert.deepEqual(lint(`
    ${rev2}
    C: a1 APPEND INBOX {4096+}
    C: ${body(4096)}
    S: a1 OK done
  `), []);
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev2 LITERAL+] ready
    C: a1 APPEND INBOX {4097+}
    C: ${body(4097)}
    S: a1 OK done
  `), []);
});

test('sasl-channel-binding: offered once (info), used (warning); plain SCRAM raises nothing', () => {
  const r = modelEverySplit(transcript(`
    S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256 AUTH=SCRAM-SHA-256-PLUS] ready
    C: a0 CAPABILITY
    S: * CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256 AUTH=SCRAM-SHA-256-PLUS
    S: a0 OK done
    C: a1 AUTHENTICATE SCRAM-SHA-256-PLUS cD10bHMtZXhwb3J0ZXIsLG49dSxyPWFiYw==
    S: a1 NO [AUTHENTICATIONFAILED] failed
  `));
  assert.deepEqual(allFindings(r), ['sasl-channel-binding-offered@0', 'sasl-channel-binding-used@4']);
  assert.equal(findingOn(r.frames[0], 'sasl-channel-binding-offered')?.level, 'info');
  assert.equal(findingOn(r.frames[4], 'sasl-channel-binding-used')?.level, 'warning');
  assert.deepEqual(lint(`
    S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=SCRAM-SHA-256 AUTH=PLUS-NOT] ready
    C: a1 AUTHENTICATE SCRAM-SHA-256 biwsbj11LHI9YWJj
    S: a1 NO failed
  `), []);
});
