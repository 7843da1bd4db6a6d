// Every command reads pcapng, chosen by content: the JSON Lines fixtures kept for backward
// compatibility and their pcapng conversions give the same lint, stats, text and JSON output (the
// pcapng side from its recorded metadata, the JSON Lines side framed again), whatever the file is
// named; --session reads one session through the index; `export --format pcapng [--redact]`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCapture } from '../../../src/capture/capture-reader';
import type { PcapngReadResult } from '../../../src/capture/pcapng/pcapng-capture-reader';
import type { ProxyEvent } from '../../../src/imap/events';
import { runImapdbg } from '../../harness/imapdbg-process';
import { bigLiteralSession, FIXTURES, fixtureEvents, JSONL_FIXTURE_NAMES, tmpDir, writePcapng } from './pcapng-support';

const COMMANDS = [['lint'], ['stats'], ['stats', '--json'], ['export'], ['export', '--format', 'json'], ['export', '--reveal-secrets']];

test('a JSON Lines capture and its pcapng conversion read the same in every command, by content not by name', async () => {
  const dir = tmpDir();
  try {
    for (const name of JSONL_FIXTURE_NAMES) {
      // Names swapped on purpose: the pcapng file is called .imapcap and the JSON Lines one .pcapng.
      const jsonl = path.join(dir, `${name}-jsonl.pcapng`);
      const pcapng = path.join(dir, `${name}-pcapng.imapcap`);
      fs.copyFileSync(path.join(FIXTURES, `${name}.imapcap`), jsonl);
      fs.copyFileSync(path.join(FIXTURES, `${name}.pcapng`), pcapng);
      for (const args of COMMANDS) {
        const a = await runImapdbg([args[0], jsonl, ...args.slice(1)]);
        const b = await runImapdbg([args[0], pcapng, ...args.slice(1)]);
        assert.ok(a.code === 0 || (args[0] === 'lint' && a.code === 1), `${name} ${args.join(' ')}: ${a.stderr}`);
        assert.equal(b.code, a.code, `${name} ${args.join(' ')}: ${b.stderr}`);
        assert.equal(b.stdout.toString('utf8'), a.stdout.toString('utf8'), `${name} ${args.join(' ')}`);
        assert.ok(a.stdout.length > 0);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--session reads one session through the index: export, replay; a missing one names those there are', async () => {
  const dir = tmpDir();
  try {
    const file = path.join(dir, 'three.pcapng');
    const login = (await fixtureEvents('login-literal')).map((e): ProxyEvent => renumber(e, 2));
    await writePcapng(file, [...bigLiteralSession(1, 2_000_000), ...login, ...bigLiteralSession(3, 100_000)]);
    const events: ProxyEvent[] = [];
    const result = await readCapture(file, (e) => { events.push(e); }, { session: 2 }) as PcapngReadResult;
    assert.equal(result.pcapng.seeked, true);
    assert.ok(events.length > 0 && events.every((e) => (e.type === 'session-open' ? e.session.id : e.type === 'frame' ? e.frame.session : e.session) === 2));
    const text = await runImapdbg(['export', file, '--session', '2']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout.toString(), /#2 C: /);
    assert.doesNotMatch(text.stdout.toString(), /#[13] /);
    const raw = await runImapdbg(['export', file, '--format', 'raw', '--session', '2', '--direction', 'client']);
    assert.equal(raw.code, 0, raw.stderr);
    assert.ok(raw.stdout.toString('latin1').startsWith('a1 LOGIN {5}'), raw.stdout.toString('latin1').slice(0, 40));
    const missing = await runImapdbg(['export', file, '--format', 'raw', '--session', '9', '--direction', 'client']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no session 9 .*\(sessions: 1, 2, 3\)/);
    const replay = await runImapdbg(['replay', file, '--session', '9', '--serve', '127.0.0.1:0']);
    assert.equal(replay.code, 2);
    assert.match(replay.stderr, /no session 9 in the capture \(sessions: 1, 2, 3\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('export --format pcapng: a pcapng capture copied, a JSON Lines one converted, --redact overwrites the secrets', async () => {
  const dir = tmpDir();
  try {
    const source = path.join(FIXTURES, 'login-literal.pcapng');
    const copy = path.join(dir, 'copy.pcapng');
    let r = await runImapdbg(['export', source, '--format', 'pcapng', '-o', copy]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(source)));
    assert.equal(fs.statSync(copy).mode & 0o777, 0o600);
    r = await runImapdbg(['export', source, '--format', 'pcapng', '-o', copy]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /it exists \(pass --force/);
    const converted = path.join(dir, 'converted.pcapng');
    r = await runImapdbg(['export', path.join(FIXTURES, 'login-literal.imapcap'), '--format', 'pcapng', '-o', converted]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await runImapdbg(['export', converted])).stdout.toString(), (await runImapdbg(['export', source])).stdout.toString());
    for (const input of [source, path.join(FIXTURES, 'login-literal.imapcap')]) {
      const redacted = path.join(dir, `redacted-${path.basename(input)}.pcapng`);
      r = await runImapdbg(['export', input, '--format', 'pcapng', '--redact', '-o', redacted]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /secret spans overwritten/);
      assert.ok(fs.readFileSync(source).includes('secret\r\n'), 'the source packets hold the password');
      assert.ok(!fs.readFileSync(redacted).includes('secret'), `${input}: the password is gone from the redacted copy`);
      assert.equal(fs.statSync(redacted).size, fs.statSync(input === source ? source : converted).size);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('unredacted')), [], 'no clear-text intermediate left');
    }
    r = await runImapdbg(['export', source, '--format', 'pcapng', '-o', source]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is the input capture itself/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function renumber(e: ProxyEvent, id: number): ProxyEvent {
  switch (e.type) {
    case 'session-open': return { ...e, session: { ...e.session, id } };
    case 'frame': return { ...e, frame: { ...e.frame, session: id } };
    default: return { ...e, session: id };
  }
}

test("data: 'sizes' gives each packet's payload length without reading it (stats and the viewer count bytes only)", async () => {
  for (const name of ['compress', 'big-fetch']) {
    const file = path.join(FIXTURES, `${name}.pcapng`);
    const full: ProxyEvent[] = [];
    const sized: ProxyEvent[] = [];
    await readCapture(file, (e) => { full.push(e); }, { data: true });
    await readCapture(file, (e) => { sized.push(e); }, { data: 'sizes' });
    const totals = (events: ProxyEvent[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const e of events) if (e.type === 'data') out[`${e.session}/${e.layer}/${e.direction}`] = (out[`${e.session}/${e.layer}/${e.direction}`] ?? 0) + e.bytes.length;
      return out;
    };
    assert.deepEqual(totals(sized), totals(full), name);
    assert.ok(Object.values(totals(full)).some((n) => n > 0), name);
    // The payloads were not read: zeros stand for them.
    assert.ok(sized.every((e) => e.type !== 'data' || e.bytes.every((b) => b === 0)), `${name}: sizes only`);
    const others = (events: ProxyEvent[]) => events.filter((e) => e.type !== 'data');
    assert.deepStrictEqual(others(sized), others(full), name);
  }
});
