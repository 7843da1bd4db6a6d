// A recording process killed with SIGKILL mid-write leaves a capture that tshark opens and imapdbg
// reads up to its last whole block (no index: a scan); a full disk stops recording without throwing;
// backpressure: congested while the disk is behind, whenDrained resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PcapngCaptureWriter } from '../../../src/capture/pcapng/pcapng-capture-writer';
import { comparable, FIXTURES, fixtureEvents, readPcapng, run, tmpDir } from './pcapng-support';

test('SIGKILL mid-recording: tshark and imapdbg read the file up to its last whole block', async () => {
  const dir = tmpDir();
  try {
    const out = path.join(dir, 'killed.pcapng');
    const child = spawn(process.execPath, [path.join(__dirname, 'pcapng-kill-child.js'), path.join(FIXTURES, 'idle-updates.pcapng'), out],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('recorded')) resolve(); }));
    // Let it write a few megabytes of packets, then kill it without warning.
    while (!fs.existsSync(out) || fs.statSync(out).size < 3_000_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const { events, result } = await readPcapng(out);
    assert.equal(result.pcapng.indexed, false);
    const expected = (await fixtureEvents('idle-updates')).filter((e) => e.type !== 'session-close');
    assert.deepStrictEqual(comparable(events.slice(0, expected.length)), comparable(expected), 'every event recorded before the kill');
    assert.ok(events.length > expected.length, 'and the packets written after');
    const t = run('tshark', ['-r', out, '-Y', 'imap.request', '-T', 'fields', '-e', 'imap.request', '-d', 'tcp.port==33573,imap']);
    assert.ok(t.status === 0 || /cut short/.test(t.stderr), `tshark: ${t.status} ${t.stderr}`);
    assert.match(t.stdout, /a1 LOGIN alice secret/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk stops recording without throwing; the error is reported', async () => {
  const writer = new PcapngCaptureWriter('/dev/full', 't', 1, { overwrite: true });
  for (const e of await fixtureEvents('idle-updates')) writer.handle(e);
  await writer.close();
  assert.match(String(writer.error?.message), /ENOSPC/);
  writer.handle({ type: 'data', session: 1, direction: 'client', timeUs: 1, bytes: Buffer.from('x'), layer: 'wire' });
});

test('congested while more than the high-water mark waits for the disk; whenDrained resolves', async () => {
  const dir = tmpDir();
  try {
    // Writes through the pool, as for a pipe or a slow disk (a regular file is written at once).
    const writer = new PcapngCaptureWriter(path.join(dir, 'c.pcapng'), 't', 1, { writeMode: 'pool' });
    const chunk = Buffer.alloc(65_536, 1);
    let n = 0;
    while (!writer.congested && n < 10_000) {
      writer.handle({ type: 'data', session: 1, direction: 'server', timeUs: n, bytes: chunk, layer: 'wire' });
      n += 1;
    }
    assert.equal(writer.congested, true);
    await writer.whenDrained();
    assert.equal(writer.congested, false);
    await writer.close();
    const { events } = await readPcapng(path.join(dir, 'c.pcapng'));
    assert.equal(events.filter((e) => e.type === 'data').length, n);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
