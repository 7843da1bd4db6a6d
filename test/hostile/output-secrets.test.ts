// Issue 9 item 11: a password must appear in no output unless --reveal-secrets: not in the
// STARTTLS command-injection finding (real Dovecot, one packet `a STARTTLS\r\nb LOGIN ...`), not
// in a rawlog of a LOGIN whose user name is longer than the line text kept (70 KB), not as an
// `unparsed` SASL response sent after the server's NO; masks have a fixed width; a raw export
// file (it holds the real bytes) is 0600.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startDovecot, type DovecotInstance } from '../harness/dovecot';
import { readUntil } from '../harness/lines';
import { runImapdbg, startImapdbgProxy } from '../harness/imapdbg-process';
import { onLines } from './terminal-hazards';
import { readPcapngCapture } from '../../src/capture/pcapng/pcapng-capture-reader';

let dir: string;
let dovecot: DovecotInstance | undefined;

before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-hostile-secrets-')); });
after(async () => {
  await dovecot?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every output a user would share or read, as text: the capture's non-data records, exports, lint, stats. */
async function outputsOf(capture: string, headless: string): Promise<Record<string, string>> {
  const outputs: Record<string, string> = { headless };
  // Packet payloads hold the raw bytes by design; every other byte of the pcapng file (metadata
  // records, packet comments, headers) is checked: the payloads are blanked out of a copy.
  const file = fs.readFileSync(capture);
  await readPcapngCapture(capture, () => undefined, { data: false, packets: (p) => { file.fill(0, p.fileOffset, p.fileOffset + p.length); } });
  outputs['capture records'] = file.toString('latin1');
  for (const [name, args] of Object.entries({
    'export text': ['export', capture], 'export json': ['export', capture, '--format', 'json'], lint: ['lint', capture], stats: ['stats', capture],
  })) {
    const r = await runImapdbg(args);
    assert.ok(r.code === 0 || (name === 'lint' && r.code === 1), `${name}: exit ${r.code}: ${r.stderr}`);
    outputs[name] = r.stdout.toString('latin1') + r.stderr;
  }
  const prefix = path.join(dir, `${path.basename(capture)}-rawlog`);
  const r = await runImapdbg(['export', capture, '--format', 'rawlog', '--out-prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  outputs['rawlog .in'] = fs.readFileSync(`${prefix}.in`, 'latin1');
  outputs['rawlog .out'] = fs.readFileSync(`${prefix}.out`, 'latin1');
  return outputs;
}

function assertNowhere(outputs: Record<string, string>, secrets: string[]): void {
  const leaks: string[] = [];
  for (const [name, text] of Object.entries(outputs)) {
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${name} shows ${JSON.stringify(secret.slice(0, 40))}`);
  }
  assert.deepEqual(leaks, [], 'secrets in clear');
}

test('STARTTLS command injection through Dovecot: the injected LOGIN password is in no finding, export, lint or rawlog', async () => {
  const password = 'Inj3cted-Pa55word-9';
  dovecot = await startDovecot({ users: { carol: password } });
  const caDir = path.join(dir, 'ca');
  assert.equal((await runImapdbg(['ca', 'init', '--ca-dir', caDir])).code, 0);
  const capture = path.join(dir, 'injection.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${dovecot.port}`, '--upstream-ca', dovecot.certPath, '--ca-dir', caDir, '--headless', '--record', capture]);
  const raw = net.connect(proxy.port, '127.0.0.1');
  try {
    await readUntil(raw, (l) => l.startsWith('* OK'));
    raw.write(`a STARTTLS\r\nb LOGIN carol ${password}\r\n`);
    await readUntil(raw, (l) => l.startsWith('a '));
    const secure = tls.connect({ socket: raw, ca: fs.readFileSync(path.join(caDir, 'ca-cert.pem'), 'utf8'), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); });
    secure.write('c LOGOUT\r\n');
    await readUntil(secure, (l) => l.startsWith('c '));
    secure.destroy();
  } finally {
    raw.destroy();
    assert.equal(await proxy.stop(), 0, proxy.stderr());
  }
  const outputs = await outputsOf(capture, proxy.stdout());
  assertNowhere(outputs, [password]);
  // The finding is there and still says what was injected, the password masked.
  assert.match(outputs.headless ?? '', /starttls-command-injection: client sent bytes \(secrets masked\): "b LOGIN carol \*\*\*\*\*\*\*\*\\r\\n"/, outputs.headless);
});

test('a 70 KB user name, a late SASL response after NO: no password in any output; masks do not tell the length', async () => {
  const longUserPassword = 'L0ng-User-Pa55word';
  const shortPassword = 'p'.repeat(37);
  const saslResponse = Buffer.from('\0carol\0Late-Sasl-Pa55word').toString('base64');
  const server = net.createServer((socket) => {
    socket.write('* OK IMAP4rev1 ready\r\n');
    onLines(socket, (line) => {
      const [tag, verb] = line.split(' ');
      if (verb === 'LOGIN') socket.write(`${tag} ${line.length > 1000 ? 'NO too long' : 'OK logged in'}\r\n`);
      else if (verb === 'AUTHENTICATE') socket.write(`${tag} NO [PRIVACYREQUIRED] not here\r\n`);
      else if (verb === 'LOGOUT') { socket.write(`* BYE\r\n${tag} OK bye\r\n`); socket.end(); }
      else socket.write('* BAD junk\r\n');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const capture = path.join(dir, 'long-login.pcapng');
  const proxy = await startImapdbgProxy(['--upstream', `127.0.0.1:${(server.address() as net.AddressInfo).port}`, '--headless', '--record', capture]);
  const client = net.connect(proxy.port, '127.0.0.1');
  try {
    await readUntil(client, (l) => l.startsWith('* OK'));
    client.write(`a1 LOGIN ${'u'.repeat(70_000)} ${longUserPassword}\r\n`);
    await readUntil(client, (l) => l.startsWith('a1 '));
    client.write(`a2 LOGIN alice ${shortPassword}\r\n`);
    await readUntil(client, (l) => l.startsWith('a2 '));
    client.write('a3 AUTHENTICATE PLAIN\r\n');
    await readUntil(client, (l) => l.startsWith('a3 '));
    // A client that did not wait for "+" sends its response anyway, after the NO.
    client.write(`${saslResponse}\r\n`);
    await readUntil(client, (l) => l.startsWith('* BAD'));
    client.write('a4 LOGOUT\r\n');
    await readUntil(client, (l) => l.startsWith('a4 '));
  } finally {
    client.destroy();
    assert.equal(await proxy.stop(), 0, proxy.stderr());
    server.close();
  }
  const outputs = await outputsOf(capture, proxy.stdout());
  assertNowhere(outputs, [longUserPassword, shortPassword, saslResponse, 'p'.repeat(9)]);
  // One fixed-width mask, whatever the password's length.
  assert.ok(outputs['rawlog .in']?.includes('a2 LOGIN alice ********\r\n'), 'rawlog: no fixed-width mask');
  assert.match(outputs.headless ?? '', /C: a2 LOGIN alice \*{8}(?!\*)/);
  // Revealed on request: the test would see the secrets if they were there.
  const revealed = path.join(dir, 'revealed');
  assert.equal((await runImapdbg(['export', capture, '--format', 'rawlog', '--out-prefix', revealed, '--reveal-secrets'])).code, 0);
  const clear = fs.readFileSync(`${revealed}.in`, 'latin1');
  for (const secret of [longUserPassword, shortPassword, saslResponse]) assert.ok(clear.includes(secret), `--reveal-secrets lost ${secret}`);

  // `export --format raw -o FILE` holds the real bytes: 0600, new or existing.
  for (const existing of [false, true]) {
    const file = path.join(dir, `raw-${existing}.bin`);
    if (existing) fs.writeFileSync(file, 'old', { mode: 0o644 });
    const r = await runImapdbg(['export', capture, '--format', 'raw', '--session', '1', '--direction', 'client', '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, `raw export file (existing: ${existing})`);
    assert.ok(fs.readFileSync(file, 'latin1').includes(longUserPassword), 'the raw export holds the real bytes');
  }
});
