// Starts a real, throw-away Dovecot (Debian dovecot-imapd) for end-to-end tests: temp dir, own
// config, own ports, foreground child process; no systemd and nothing from /etc/dovecot.
// Facts behind the settings: /work/shared/notes/dovecot-rootless.md.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { readUntil, tagged } from './lines';

export interface DovecotInstance {
  host: '127.0.0.1';
  /** Plain IMAP, offers STARTTLS. */
  port: number;
  /** Implicit TLS (IMAPS). */
  tlsPort: number;
  dir: string;
  /** Self-signed cert for CN=localhost, SAN localhost, 127.0.0.1, ::1; use it as the clients' CA file. */
  certPath: string;
  users: Record<string, string>;
  logPath: string;
  /** Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_USERS: Record<string, string> = { alice: 'secret', bob: 'hunter2' };
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
// As root, mail is owned by a numeric uid with no passwd entry (see the notes).
const ROOT_MAIL_ID = 5000;

const live = new Map<ChildProcess, string>(); // running child -> its temp dir
let hooksInstalled = false;

/** Synchronous, for 'exit' and signals: SIGKILL each master (its children exit when it goes). */
function killAllSync(): void {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // a dying child may still be writing into it; a leftover temp dir is acceptable here
    }
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  // A signal's default action skips 'exit' handlers (node --test sends SIGTERM on a file
  // timeout), so clean up, then re-raise the signal with our handler removed.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.off(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function dovecotBin(): string {
  // /usr/sbin is often not on a normal user's PATH.
  const found = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => fs.existsSync(p));
  return process.env.DOVECOT_BIN ?? found ?? 'dovecot';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Two distinct free ports: both listeners are held open together so they cannot coincide. */
async function freePorts(): Promise<[number, number]> {
  const servers = [net.createServer(), net.createServer()];
  const ports = await Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
        }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return [ports[0], ports[1]];
}

/** Every ancestor must be traversable by other users, because as root Dovecot drops privileges. */
function othersCanReach(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// RSA key generation is most of the start-up time, so one key pair serves every instance of the
// process. RSA rather than EC so node-forge, which has no EC support, can read the cert too.
let certCache: { key: Buffer; cert: Buffer } | undefined;

function makeCert(dir: string): void {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  if (!certCache) {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1', '-keyout', key, '-out', cert],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    certCache = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
  }
  fs.writeFileSync(key, certCache.key, { mode: 0o600 });
  fs.writeFileSync(cert, certCache.cert, { mode: 0o644 });
}

function writeConfig(dir: string, port: number, tlsPort: number, users: Record<string, string>, extra: ExtraConfig): void {
  const isRoot = process.getuid?.() === 0;
  let who: string[];
  if (isRoot) {
    who = ['default_login_user = dovenull', 'default_internal_user = dovecot',
      `mail_uid = ${ROOT_MAIL_ID}`, `mail_gid = ${ROOT_MAIL_ID}`,
      `first_valid_uid = ${ROOT_MAIL_ID}`, `last_valid_uid = ${ROOT_MAIL_ID}`];
    fs.chownSync(path.join(dir, 'mail'), ROOT_MAIL_ID, ROOT_MAIL_ID);
  } else {
    const me = os.userInfo();
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    who = [`default_login_user = ${me.username}`, `default_internal_user = ${me.username}`,
      `default_internal_group = ${group}`, `mail_uid = ${me.uid}`, `mail_gid = ${me.gid}`,
      'first_valid_uid = 1'];
  }
  const dh = '/usr/share/dovecot/dh.pem';
  const conf = [
    `base_dir = ${dir}/run`, `state_dir = ${dir}/state`,
    `instance_name = imapdbg-test-${process.pid}-${randomBytes(4).toString('hex')}`,
    'protocols = imap', 'listen = 127.0.0.1', 'shutdown_clients = yes',
    `log_path = ${dir}/dovecot.log`, `info_log_path = ${dir}/dovecot.log`, 'auth_verbose = yes',
    'ssl = yes', `ssl_cert = <${dir}/cert.pem`, `ssl_key = <${dir}/key.pem`,
    ...(fs.existsSync(dh) ? [`ssl_dh = <${dh}`] : []),
    'disable_plaintext_auth = no', 'auth_mechanisms = plain login',
    'passdb {', '  driver = passwd-file', `  args = scheme=PLAIN username_format=%n ${dir}/passwd`, '}',
    'userdb {', '  driver = passwd-file', `  args = username_format=%n ${dir}/passwd`,
    `  default_fields = home=${dir}/mail/%n`, '}',
    'mail_location = maildir:~/Maildir',
    ...who,
    'service anvil {',
    // With its socket at mode 0, auth runs without anvil's per-IP auth penalty (seen: no error
    // logged), which would otherwise delay EVERY login from 127.0.0.1 by 2-15 s for ~30 s after
    // one failed LOGIN. Dovecot's 2 s answer delay for the failed LOGIN itself remains.
    '  unix_listener anvil-auth-penalty {', '    mode = 0', '  }',
    ...(isRoot ? [] : ['  chroot =']), // a normal user cannot chroot
    '}',
    'service imap-login {',
    `  inet_listener imap {`, `    port = ${port}`, '  }',
    `  inet_listener imaps {`, `    port = ${tlsPort}`, '    ssl = yes', '  }',
    ...(isRoot ? [] : ['  chroot =']),
    '}',
    'protocol imap {', '  mail_plugins = $mail_plugins imap_zlib', '  imap_idle_notify_interval = 2 mins',
    '  mail_max_userip_connections = 100', ...extra.imapSettings.map((line) => `  ${line}`), '}',
    // Settings given later override the ones above (e.g. `auth_mechanisms = plain scram-sha-256`).
    ...extra.extraConfig,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'dovecot.conf'), conf);
  // No ':' in names or passwords: it is the field separator.
  const pw = Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}::::::\n`).join('');
  fs.writeFileSync(path.join(dir, 'passwd'), pw, { mode: 0o644 });
}

/** Resolves once the plain port greets with `* OK`; throws if the child exits or time runs out. */
async function waitForGreeting(child: ChildProcess, port: number, deadline: number): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`dovecot exited (${child.exitCode ?? child.signalCode}) before greeting`);
    }
    const sock = net.connect(port, '127.0.0.1');
    try {
      const [line] = await readUntil(sock, () => true, Math.min(2_000, Math.max(1, deadline - Date.now())));
      if (line.startsWith('* OK')) return;
      last = `unexpected greeting: ${line}`;
    } catch (e) {
      last = (e as Error).message; // usually ECONNREFUSED while dovecot is still starting
    } finally {
      sock.destroy();
    }
    await delay(50);
  }
  throw new Error(`no greeting within ${START_TIMEOUT_MS} ms (${last})`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: spawn itself failed and 'exit' will never come.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS))),
  ]);
  clearTimeout(timer);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function startOnce(users: Record<string, string>, extra: ExtraConfig): Promise<DovecotInstance> {
  let dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imapdbg-dovecot-'));
  if (process.getuid?.() === 0 && !othersCanReach(path.dirname(dir))) {
    fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync('/tmp/imapdbg-dovecot-');
  }
  // mkdtemp makes 0700; Dovecot's unprivileged processes must get in (auth reads passwd here).
  fs.chmodSync(dir, 0o755);
  const logPath = path.join(dir, 'dovecot.log');
  let child: ChildProcess | undefined;
  try {
    fs.mkdirSync(path.join(dir, 'mail'));
    makeCert(dir);
    const [port, tlsPort] = await freePorts();
    writeConfig(dir, port, tlsPort, users, extra);

    const c = spawn(dovecotBin(), ['-F', '-c', path.join(dir, 'dovecot.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    live.set(c, dir);
    installExitHooks();
    // Config errors are printed to stderr before log_path is in effect.
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    c.stdout?.resume();
    const spawnError = new Promise<never>((_, reject) => c.on('error', reject));
    try {
      await Promise.race([waitForGreeting(c, port, Date.now() + START_TIMEOUT_MS), spawnError]);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- stderr:\n${stderr}\n--- tail of ${logPath}:\n${tail(logPath)}`);
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        await stopChild(c);
        live.delete(c);
        // Exiting service processes may still be closing files for a moment.
        await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      })());
    return {
      host: '127.0.0.1', port, tlsPort, dir, logPath,
      certPath: path.join(dir, 'cert.pem'), users: { ...users }, stop,
    };
  } catch (e) {
    if (child) {
      await stopChild(child);
      live.delete(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Extra dovecot.conf lines: `imapSettings` go in the `protocol imap` block, `extraConfig` after everything; later lines win. */
interface ExtraConfig {
  imapSettings: string[];
  extraConfig: string[];
}

/**
 * `imapSettings`: extra lines for the `protocol imap` block (e.g. `imap_idle_notify_interval = 2 secs`);
 * `extraConfig`: dovecot.conf lines appended after the defaults (e.g. `auth_mechanisms = ...`).
 */
export async function startDovecot(opts?: { users?: Record<string, string>; imapSettings?: string[]; extraConfig?: string[] }): Promise<DovecotInstance> {
  const users = opts?.users ?? DEFAULT_USERS;
  // The ports are free when picked but another process may grab one before Dovecot binds it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(users, { imapSettings: opts?.imapSettings ?? [], extraConfig: opts?.extraConfig ?? [] });
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test((e as Error).message)) throw e;
    }
  }
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Appends a message over a plain socket (LOGIN, APPEND with a synchronizing literal, LOGOUT),
 * independent of any project code; creates the mailbox first if it is missing. Returns the new
 * UID from Dovecot's APPENDUID response code.
 */
export async function appendMessage(
  inst: DovecotInstance,
  user: string,
  mailbox: string,
  rfc822: string | Buffer,
): Promise<number | undefined> {
  const password = inst.users[user];
  if (password === undefined) throw new Error(`appendMessage: unknown user ${user}`);
  const msg = typeof rfc822 === 'string' ? Buffer.from(rfc822, 'utf8') : rfc822;
  const sock = net.connect(inst.port, inst.host);
  const expectOk = async (tag: string): Promise<string> => {
    const lines = await readUntil(sock, tagged(tag));
    const last = lines[lines.length - 1];
    if (!last.startsWith(`${tag} OK`)) throw new Error(`appendMessage: ${last}`);
    return last;
  };
  try {
    const [greeting] = await readUntil(sock, () => true);
    if (!greeting.startsWith('* OK')) throw new Error(`appendMessage: greeting ${greeting}`);
    sock.write(`a1 LOGIN ${quote(user)} ${quote(password)}\r\n`);
    await expectOk('a1');
    if (mailbox.toUpperCase() !== 'INBOX') {
      sock.write(`a1c CREATE ${quote(mailbox)}\r\n`);
      const created = await readUntil(sock, tagged('a1c'));
      const last = created[created.length - 1];
      if (!/^a1c (OK|NO \[ALREADYEXISTS\])/.test(last)) throw new Error(`appendMessage: ${last}`);
    }
    sock.write(`a2 APPEND ${quote(mailbox)} {${msg.length}}\r\n`);
    const cont = await readUntil(sock, (l) => l.startsWith('+') || l.startsWith('a2 '));
    if (!cont[cont.length - 1].startsWith('+')) throw new Error(`appendMessage: ${cont[cont.length - 1]}`);
    sock.write(Buffer.concat([msg, Buffer.from('\r\n')]));
    const ok = await expectOk('a2');
    sock.write('a3 LOGOUT\r\n');
    await expectOk('a3');
    const uid = /\[APPENDUID \d+ (\d+)\]/.exec(ok);
    return uid ? Number(uid[1]) : undefined;
  } finally {
    sock.destroy();
  }
}

/**
 * A valid RFC 5322 text/plain message with CRLF line ends, exactly sizeBytes long when that exceeds
 * the header (~250 bytes). Keep the subject ASCII: headers are written raw.
 */
export function makeMessage(sizeBytes: number, subject: string): Buffer {
  const date = new Date().toUTCString().replace('GMT', '+0000');
  const head =
    [`From: Alice <alice@localhost>`, `To: Bob <bob@localhost>`, `Subject: ${subject}`, `Date: ${date}`,
      `Message-ID: <${randomBytes(8).toString('hex')}@imapdbg.test>`, 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii', '', ''].join('\r\n');
  const body: string[] = [];
  let left = Math.max(sizeBytes - head.length, 2); // at least one (empty) body line
  for (let n = 1; left > 0; n++) {
    // 78 text chars per line (RFC 5322 recommends <= 78); the last line takes what is left,
    // and 81 left would strand 1 byte after a full line, so take a shorter line first.
    const len = left <= 80 ? left - 2 : left === 81 ? 38 : 78;
    const text = `${n} `.padEnd(len, 'abcdefghijklmnopqrstuvwxyz0123456789'.charAt(n % 36)).slice(0, len);
    body.push(`${text}\r\n`);
    left -= len + 2;
  }
  return Buffer.from(head + body.join(''), 'latin1');
}
