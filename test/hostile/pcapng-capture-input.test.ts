// Hostile and foreign input for the pcapng reader (real classes, real Wireshark tools): each is one
// clear CaptureError line or a read as far as the file is valid; never a stack trace, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureError } from '../../src/capture/capture-reader';
import { IMAPDBG_PEN } from '../../src/capture/pcapng/pcapng-blocks';
import { readPcapngCapture } from '../../src/capture/pcapng/pcapng-capture-reader';
import { blockOffsets, fixtureEvents, readPcapng, run, tmpDir, writePcapng } from '../capture/pcapng/pcapng-support';

const BIN = path.resolve(__dirname, '../../../bin/imapdbg');

async function refused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readPcapng(file), (err: Error) => {
    assert.ok(err instanceof CaptureError, `a CaptureError, not ${err.constructor.name}: ${err.stack}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

async function capture(dir: string): Promise<string> {
  const file = path.join(dir, 'good.pcapng');
  await writePcapng(file, await fixtureEvents('idle-updates'));
  return file;
}

test('not pcapng, empty, or cut inside the section header: one line', async () => {
  const dir = tmpDir();
  try {
    const text = path.join(dir, 'text.pcapng');
    fs.writeFileSync(text, 'hello, this is not a capture\n');
    await refused(text, /not a pcapng capture/);
    const empty = path.join(dir, 'empty.pcapng');
    fs.writeFileSync(empty, '');
    await refused(empty, /empty file/);
    const good = fs.readFileSync(await capture(dir));
    const head = path.join(dir, 'head.pcapng');
    fs.writeFileSync(head, good.subarray(0, 40));
    await refused(head, /ends inside its section header/);
    await refused(path.join(dir, 'missing.pcapng'), /cannot read capture/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt block length: the events before it, then one line naming the offset', async () => {
  const dir = tmpDir();
  try {
    const good = fs.readFileSync(await capture(dir));
    const offsets = blockOffsets(path.join(dir, 'good.pcapng'));
    const victim = offsets[8];
    for (const [length, pattern] of [[13, /impossible length 13/], [0, /impossible length 0/], [0x7ffffff0, /claims \d+ bytes/]] as const) {
      const bad = Buffer.from(good);
      bad.writeUInt32LE(length, victim + 4);
      const file = path.join(dir, 'bad.pcapng');
      fs.writeFileSync(file, bad);
      const seen: string[] = [];
      await assert.rejects(readPcapngCapture(file, (e) => { seen.push(e.type); }), (err: Error) => err instanceof CaptureError
        && pattern.test(err.message) && err.message.includes(`offset ${victim}`));
      assert.ok(seen.length > 0, 'the events before the corrupt block were read');
    }
    // Leading and trailing lengths that disagree.
    const bad = Buffer.from(good);
    const len = bad.readUInt32LE(victim + 4);
    bad.writeUInt32LE(len + 4, victim + len - 4);
    fs.writeFileSync(path.join(dir, 'trail.pcapng'), bad);
    await refused(path.join(dir, 'trail.pcapng'), /leading and trailing lengths differ/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('wrong PEN or garbage in our metadata: foreign file refused, garbage named', async () => {
  const dir = tmpDir();
  try {
    const good = fs.readFileSync(await capture(dir));
    const pen = Buffer.alloc(4);
    pen.writeUInt32LE(IMAPDBG_PEN, 0);
    const wrongPen = Buffer.from(good);
    // Every imapdbg payload gets another vendor's PEN: the section header is no longer ours.
    for (let at = wrongPen.indexOf(pen); at >= 0; at = wrongPen.indexOf(pen, at + 4)) wrongPen.writeUInt32LE(IMAPDBG_PEN + 1, at);
    fs.writeFileSync(path.join(dir, 'pen.pcapng'), wrongPen);
    await refused(path.join(dir, 'pen.pcapng'), /without imapdbg metadata/);
    const garbage = Buffer.from(good);
    const rec = garbage.indexOf('{"k":"frame"');
    garbage.write(',', rec + 13, 'latin1'); // same length: '{"k":"frame",,...' is not JSON
    fs.writeFileSync(path.join(dir, 'garbage.pcapng'), garbage);
    await refused(path.join(dir, 'garbage.pcapng'), /is not JSON/);
    const twice = path.join(dir, 'twice.pcapng');
    fs.writeFileSync(twice, Buffer.concat([good.subarray(0, good.length - good.readUInt32LE(good.length - 4)), good]));
    await refused(twice, /second section header/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a foreign pcapng (text2pcap, and a live tshark capture of loopback when allowed) is refused in one line', async () => {
  const dir = tmpDir();
  try {
    const hex = path.join(dir, 'dump.txt');
    fs.writeFileSync(hex, '0000  45 00 00 28 00 01 00 00 40 06 7c cd 7f 00 00 01\n0010  7f 00 00 01 00 50 00 51 00 00 00 00 00 00 00 00\n0020  50 02 20 00 00 00 00 00\n');
    const foreign = path.join(dir, 'foreign.pcapng');
    const t = run('text2pcap', ['-e', '0x800', hex, foreign]);
    assert.equal(t.status, 0, t.stderr);
    await refused(foreign, /without imapdbg metadata/);
    const live = path.join(dir, 'live.pcapng');
    const l = run('tshark', ['-i', 'lo', '-a', 'duration:1', '-w', live]);
    if (l.status === 0 && fs.existsSync(live)) await refused(live, /without imapdbg metadata/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('imapdbg convert: bad input is one line and exit 2, no stack, no output left behind', async () => {
  const dir = tmpDir();
  try {
    const bad = path.join(dir, 'bad.imapcap');
    fs.writeFileSync(bad, '{"r":"header","format":"imapdbg-capture","version":1,"createdUs":1,"tool":"t"}\n{"r":"data","s":1}\n{"r":"data"\n');
    const out = path.join(dir, 'out.pcapng');
    const r = run(BIN, ['convert', bad, out]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
    assert.equal(fs.existsSync(out), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
