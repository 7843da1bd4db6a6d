import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModifiedUtf7 } from '../../src/imap/modified-utf7';
import { frameLine } from '../../src/imap/notation';
import { allFindings, findingOn, modelEverySplit, phaseDetail } from './session-harness';
import { transcript } from './transcript';

test('modified UTF-7: the RFC 3501 5.1.3 examples and the invalid forms', () => {
  assert.deepEqual(decodeModifiedUtf7('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), { ok: true, text: '~peter/mail/台北/日本語' });
  assert.deepEqual(decodeModifiedUtf7('Entw&APw-rfe &- more'), { ok: true, text: 'Entwürfe & more' });
  assert.deepEqual(decodeModifiedUtf7('&2D3eAQ-'), { ok: true, text: '\u{1f601}' });
  for (const bad of ['&AGE-', '&Jjo', '&Jjo-&Jjo-', '&2D0-', '&U,BTFw=-', '&Jj-', 'Caf\xc3\xa9', '&3gE-']) {
    assert.equal(decodeModifiedUtf7(bad).ok, false, bad);
  }
});

test('mailbox tracker: decoded name beside the raw one; invalid names raw with an info finding; UTF8=ACCEPT names as UTF-8', () => {
  const r = modelEverySplit(transcript(`
    S: * PREAUTH [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready
    C: a1 SELECT "Entw&APw-rfe"
    S: * 2 EXISTS
    S: a1 OK [READ-WRITE] done
    C: a2 EXAMINE &AGE-
    S: a2 NO no
    C: a3 SELECT INBOX
    S: a3 OK done
    C: a4 SELECT "&ZeVnLIqe-&Jjo\x1b[2J-"
    S: a4 NO no
    C: a5 ENABLE UTF8=ACCEPT
    S: * ENABLED UTF8=ACCEPT
    S: a5 OK done
    C: a6 SELECT "Entw\xc3\xbcrfe"
    S: a6 NO no
  `));
  const f = r.frames;
  assert.deepEqual(phaseDetail(f[1], 'mailbox-opening'), { tag: 'a1', mailbox: 'Entw&APw-rfe', decoded: 'Entwürfe', readOnly: false });
  assert.deepEqual(phaseDetail(f[3], 'mailbox-selected'), { mailbox: 'Entw&APw-rfe', decoded: 'Entwürfe', access: 'read-write', exists: 2 });
  assert.deepEqual(phaseDetail(f[4], 'mailbox-opening'), { tag: 'a2', mailbox: '&AGE-', readOnly: true });
  assert.equal(findingOn(f[4], 'mailbox-name-bad-utf7')?.level, 'info');
  assert.deepEqual(phaseDetail(f[6], 'mailbox-opening'), { tag: 'a3', mailbox: 'INBOX', readOnly: false });
  assert.equal(findingOn(f[8], 'mailbox-name-bad-utf7')?.level, 'info', 'a control byte inside a shift is invalid');
  assert.doesNotMatch(frameLine(f[8], { revealSecrets: false, utc: true }), /\x1b/, 'printed escaped');
  assert.deepEqual(phaseDetail(f[13], 'mailbox-opening'), { tag: 'a6', mailbox: 'Entw\xc3\xbcrfe', decoded: 'Entwürfe', readOnly: false });
  assert.deepEqual(allFindings(r), ['mailbox-name-bad-utf7@4', 'mailbox-name-bad-utf7@8']);
});

test('a decoded name with terminal controls (encoded in UTF-16) is escaped when printed', () => {
  // U+202E RIGHT-TO-LEFT OVERRIDE and U+009B (8-bit CSI), encoded in a shift: valid modified UTF-7.
  const name = `&${Buffer.from('\u202e\u009b', 'utf16le').swap16().toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
  const r = modelEverySplit(transcript(`
    S: * PREAUTH ready
    C: a1 SELECT ${name}
    S: a1 NO no
  `));
  assert.equal(phaseDetail(r.frames[1], 'mailbox-opening')?.decoded, '\u202e\u009b');
  const line = frameLine(r.frames[1], { revealSecrets: false, utc: true });
  assert.doesNotMatch(line, /[\u202e\u009b]/);
  assert.match(line, /decoded=\\u\{202e\}\\x9b/);
});

test('* ESEARCH recognised: correlator tag, UID, result items (bounded)', () => {
  const r = modelEverySplit(transcript(`
    S: * PREAUTH [CAPABILITY IMAP4rev2] ready
    C: a1 SELECT INBOX
    S: a1 OK done
    C: a2 UID SEARCH RETURN (MIN COUNT ALL) UNSEEN
    S: * ESEARCH (TAG "a2") UID MIN 4 COUNT 3 ALL 4:6
    S: a2 OK done
    C: a3 SEARCH RETURN () NOTHING
    S: * ESEARCH (TAG "a3")
    S: a3 OK done
  `));
  assert.deepEqual(phaseDetail(r.frames[4], 'search-results'), { tag: 'a2', uid: true, min: 4, count: 3, all: '4:6' });
  assert.deepEqual(phaseDetail(r.frames[7], 'search-results'), { tag: 'a3' });
  assert.deepEqual(allFindings(r), []);
});
