// Hostile and broken servers against the real `imapdbg doctor`: one that closes mid-IDLE, one
// that ends an IDLE with BYE long before 29 minutes, one whose every string carries terminal
// escapes, one that sends an endless line, one with a huge literal in a LIST response.
// Each gets a verdict or a one-line error, never a stack trace, and nothing unescaped on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeServer } from '../doctor/fake-imap-server';
import { assertNoStack, runDoctorCli, verdicts } from '../doctor/doctor-report';

const LOGIN = ['--user', 'alice', '--password', 'secret'];

test('a server that closes the connection mid-IDLE: verdicts, exit 1, no stack', async () => {
  let idles = 0;
  // The main connection's second IDLE is the push latency one (--append): closed without BYE.
  const server = await startFakeServer({ idling: (c) => { if (c.id === 1 && ++idles === 2) setTimeout(() => c.socket.destroy(), 50); } });
  try {
    const run = await runDoctorCli([`127.0.0.1:${server.port}`, ...LOGIN, '--append', '--watch', '2s', '--json']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assertNoStack(run);
    const v = verdicts(run);
    assert.equal(v['idle-selected'], 'ok');
    assert.equal(v['push-latency'], 'problem');
    assert.match(run.items.get('push-latency')?.value ?? '', /closed the connection without BYE/);
    assert.equal(v['keepalive'], 'not run');
    assert.match(run.items.get('keepalive')?.value ?? '', /closed the connection without BYE earlier/);
  } finally {
    await server.close();
  }
});

test('a server that ends a silent IDLE with BYE after a moment: an idle-timeout problem naming the BYE', async () => {
  let idles = 0;
  const server = await startFakeServer({
    // The main connection's second IDLE is the keepalive watch (no --append: no push IDLE).
    idling: (c) => { if (c.id === 1 && ++idles === 2) setTimeout(() => { c.send('* BYE Autologout; idle for too long\r\n'); c.socket.end(); }, 100); },
  });
  try {
    const run = await runDoctorCli([`127.0.0.1:${server.port}`, ...LOGIN, '--watch', '10s', '--json']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const v = verdicts(run);
    assert.equal(v['idle-timeout'], 'problem');
    assert.match(run.items.get('idle-timeout')?.value ?? '', /with "\* BYE Autologout; idle for too long"/);
    assert.equal(v['keepalive'], 'ok', 'the BYE itself is an untagged response');
  } finally {
    await server.close();
  }
});

test('terminal escapes in every server string are escaped in the table', async () => {
  const evil = '\x1b]0;owned\x07\x1b[2J\x9b31m';
  const server = await startFakeServer({
    greeting: `* OK ${evil} ready\r\n`,
    command: (c, tag, verb) => {
      if (verb === 'LOGIN') { c.send(`${tag} NO ${evil} no such user\r\n`); return true; }
      return false;
    },
  });
  try {
    const run = await runDoctorCli([`127.0.0.1:${server.port}`, ...LOGIN]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'no control characters but newlines');
    assert.match(run.stdout, /\\x1b\]0;owned\\x07/);
  } finally {
    await server.close();
  }
});

test('an endless line and a huge literal: doctor reads on, keeps a bounded preview, exits with verdicts', async () => {
  const server = await startFakeServer({
    command: (c, tag, verb) => {
      if (verb === 'CAPABILITY' && c.id === 1) {
        // 8 MiB of one line before its CRLF.
        c.send(`* CAPABILITY IMAP4rev1 IDLE ${'X'.repeat(8 * 1024 * 1024)}\r\n${tag} OK done\r\n`);
        return true;
      }
      if (verb === 'LIST') {
        // A mailbox name sent as a 4 MiB literal: skipped, never scanned for CRLF.
        c.send(`* LIST () "/" {${4 * 1024 * 1024}}\r\n${'\r\n'.repeat(2 * 1024 * 1024)}\r\n* LIST () "/" Sent\r\n${tag} OK listed\r\n`);
        return true;
      }
      return false;
    },
  });
  try {
    const run = await runDoctorCli([`127.0.0.1:${server.port}`, ...LOGIN, '--watch', '1s', '--json']);
    assertNoStack(run);
    assert.ok(run.stdout.length < 20_000, `report of ${run.stdout.length} chars`);
    const v = verdicts(run);
    assert.equal(v['login'], 'ok');
    assert.equal(v['idle-before-login'], 'ok', 'IDLE read from the start of the overlong line');
    assert.match(run.items.get('notify')?.value ?? '', /2 selectable mailboxes/);
  } finally {
    await server.close();
  }
});

test('LOGINDISABLED: the password is never sent, login is a problem', async () => {
  const lines: string[] = [];
  const server = await startFakeServer({
    command: (c, tag, verb, line) => {
      lines.push(line);
      if (verb === 'CAPABILITY') { c.send(`* CAPABILITY IMAP4rev1 IDLE STARTTLS LOGINDISABLED\r\n${tag} OK done\r\n`); return true; }
      return false;
    },
  });
  try {
    const run = await runDoctorCli([`127.0.0.1:${server.port}`, ...LOGIN, '--json']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(verdicts(run)['login'], 'problem');
    assert.match(run.items.get('login')?.value ?? '', /LOGINDISABLED/);
    assert.ok(!lines.some((l) => l.includes('secret')), lines.join('\n'));
  } finally {
    await server.close();
  }
});

test('100,000 LIST responses: counted as they come, not kept', async () => {
  const server = await startFakeServer({
    command: (c, tag, verb) => {
      if (verb !== 'LIST') return false;
      const lines: string[] = [];
      for (let i = 0; i < 100_000; i++) lines.push(`* LIST () "/" box${i}\r\n`);
      c.send(`${lines.join('')}${tag} OK listed\r\n`);
      return true;
    },
  });
  try {
    const run = await runDoctorCli([`127.0.0.1:${server.port}`, ...LOGIN, '--watch', '1s', '--json']);
    assert.match(run.items.get('notify')?.value ?? '', /100000 selectable mailboxes/);
  } finally {
    await server.close();
  }
});
