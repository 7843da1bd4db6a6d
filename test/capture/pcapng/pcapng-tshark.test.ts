// What Wireshark's own tools make of the capture (Debian's tshark, capinfos, editcap): IMAP commands
// and responses as imapdbg framed them, exactly the bytes each peer sent per connection, the inflated
// COMPRESS stream as IMAP too, findings as packet comments, no capinfos error, a cut file still opens,
// and a file editcap rewrote still reads in imapdbg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProxyEvent } from '../../../src/imap/events';
import {
  bigLiteralSession, blockOffsets, comparable, FIXTURE_NAMES, fixtureEvents, followRaw, readPcapng, run, streamBytes, tmpDir, writePcapng,
} from './pcapng-support';

function upstreamPort(events: ProxyEvent[]): number {
  const open = events.find((e) => e.type === 'session-open');
  assert.ok(open && open.type === 'session-open');
  return Number(/:(\d+)$/.exec(open.session.upstream)?.[1]);
}

/** The first line of each tagged command and tagged response, as imapdbg framed them (secrets as sent). */
function taggedLines(events: ProxyEvent[], kind: 'command' | 'tagged'): string[] {
  return events.flatMap((e) => {
    // A frame read back from a pcapng fixture has its secrets masked; the packets tshark reads do not.
    if (e.type !== 'frame' || e.frame.kind !== kind || e.frame.secrets.length > 0) return [];
    const first = e.frame.parts[0];
    return first.type === 'line' ? [first.line.text] : [];
  });
}

test('tshark lists the commands and responses imapdbg framed, on the wire and inflated streams', async () => {
  const dir = tmpDir();
  try {
    for (const name of FIXTURE_NAMES) {
      const events = await fixtureEvents(name);
      const file = path.join(dir, `${name}.pcapng`);
      await writePcapng(file, events);
      const r = run('tshark', ['-r', file, '-d', `tcp.port==${upstreamPort(events)},imap`, '-Y', 'imap', '-T', 'fields', '-e', 'imap.request', '-e', 'imap.response']);
      assert.equal(r.status, 0, r.stderr);
      const rows = r.stdout.split('\n').map((l) => l.split('\t'));
      const requests = rows.map((c) => c[0] ?? '').filter((t) => t !== '');
      const responses = rows.map((c) => c[1] ?? '').filter((t) => t !== '');
      // In order: each framed command is a request tshark shows, each tagged response ends a response it shows.
      let at = 0;
      for (const line of taggedLines(events, 'command')) {
        const i = requests.indexOf(line, at);
        assert.ok(i >= 0, `${name}: tshark shows no request "${line}" (after #${at}): ${JSON.stringify(requests)}`);
        at = i + 1;
      }
      at = 0;
      for (const line of taggedLines(events, 'tagged')) {
        const i = responses.findIndex((t, j) => j >= at && t.endsWith(line));
        assert.ok(i >= 0, `${name}: tshark shows no response "${line}": ${JSON.stringify(responses)}`);
        at = i + 1;
      }
      const info = run('capinfos', [file]);
      assert.equal(info.status, 0, `${name}: capinfos: ${info.stderr}`);
      assert.match(info.stdout, /pcapng/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('follow,tcp,raw gives exactly the bytes each peer sent; the inflated copy is its own stream', async () => {
  const dir = tmpDir();
  try {
    for (const name of ['starttls', 'compress', 'login-literal']) {
      const events = await fixtureEvents(name);
      const file = path.join(dir, `${name}.pcapng`);
      await writePcapng(file, events);
      const wire = followRaw(file, 0);
      assert.ok(wire.client.equals(streamBytes(events, 1, 'client')), `${name}: client bytes`);
      assert.ok(wire.server.equals(streamBytes(events, 1, 'server')), `${name}: server bytes`);
      if (name === 'compress') {
        const inflated = followRaw(file, 1);
        assert.ok(inflated.client.length > 0 && inflated.client.equals(streamBytes(events, 1, 'client', 'inflated')));
        assert.ok(inflated.server.equals(streamBytes(events, 1, 'server', 'inflated')));
      }
    }
    // A big literal over IPv6, split into segments: tshark reassembles the same bytes.
    const big = bigLiteralSession(1, 2_000_000, '[::1]:50001', '[::1]:143');
    const file = path.join(dir, 'big.pcapng');
    await writePcapng(file, big);
    const f = followRaw(file, 0);
    assert.ok(f.server.equals(streamBytes(big, 1, 'server')), 'big literal server bytes');
    const r = run('tshark', ['-r', file, '-Y', 'imap.response', '-T', 'fields', '-e', 'imap.response']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /a1 OK done/, 'port 143 is dissected as IMAP without -d, after the literal');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('lint findings are packet comments on the packet with the frame\'s last byte', async () => {
  const dir = tmpDir();
  try {
    const events = await fixtureEvents('idle-updates');
    const file = path.join(dir, 'c.pcapng');
    await writePcapng(file, events);
    const r = run('tshark', ['-r', file, '-d', `tcp.port==${upstreamPort(events)},imap`, '-Y', 'frame.comment', '-T', 'fields', '-e', 'imap.request', '-e', 'frame.comment']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^a1 LOGIN alice secret\timapdbg warning cleartext-login \(RFC 3501 6\.2\.3, RFC 8314\): LOGIN before any STARTTLS/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cut file opens in tshark up to the cut; an editcap copy still reads in imapdbg', async () => {
  const dir = tmpDir();
  try {
    const events = await fixtureEvents('compress');
    const file = path.join(dir, 'c.pcapng');
    await writePcapng(file, events);
    const offsets = blockOffsets(file);
    const cut = path.join(dir, 'cut.pcapng');
    fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, offsets[Math.floor(offsets.length / 2)] + 10));
    const t = run('tshark', ['-r', cut]);
    // tshark reads the packets before the cut, then says the file was cut short (exit 2).
    assert.ok(t.stdout.split('\n').filter((l) => /TCP|IMAP/.test(l)).length >= 5, t.stdout);
    assert.match(t.stderr, /cut short/);
    const { result } = await readPcapng(cut);
    assert.equal(result.truncated, true);

    const edited = path.join(dir, 'edited.pcapng');
    const e = run('editcap', [file, edited]);
    assert.equal(e.status, 0, e.stderr);
    const back = await readPcapng(edited);
    assert.deepStrictEqual(comparable(back.events), comparable(events));
    assert.equal(back.result.pcapng.indexed, false, 'editcap drops the index (a do-not-copy block): a scan reads the copy');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
