/** Child processes for the benchmark, and their memory as Linux reports it in /proc. */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The port it accepts IMAP clients on. */
  readonly port: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
/** Kill whatever is still running when the benchmark exits (by pid, only our own children). */
process.on('exit', () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});
// Interrupted: exit through the 'exit' handlers (children killed, temporary files removed).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

export interface SpawnReadyOptions {
  /** Where the child announces its port, and how (first capture group is the port). */
  announce?: { stream: 'stdout' | 'stderr'; pattern: RegExp };
  /** A port chosen beforehand (when the child does not announce one); readiness is a greeting on it. */
  port?: number;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Spawn a child and resolve when it accepts IMAP clients. Output other than the announcement is dropped. */
export async function spawnReady(name: string, cmd: string, args: string[], opts: SpawnReadyOptions): Promise<Child> {
  const announce = opts.announce;
  const stdio: SpawnOptions['stdio'] = ['ignore', announce?.stream === 'stdout' ? 'pipe' : 'ignore', 'pipe'];
  const proc = spawn(cmd, args, { stdio, env: opts.env ?? process.env });
  live.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => { live.delete(proc); resolve(); }));
  let stderrTail = '';
  proc.stderr?.on('data', (d: Buffer) => { stderrTail = (stderrTail + d.toString()).slice(-4000); });
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = Date.now();
  try {
    let port: number;
    if (announce) {
      port = await new Promise<number>((resolve, reject) => {
        let seen = '';
        const stream = announce.stream === 'stdout' ? proc.stdout : proc.stderr;
        const timer = setTimeout(() => reject(new Error(`${name}: no announcement within ${timeoutMs} ms`)), timeoutMs);
        stream?.on('data', (d: Buffer) => {
          seen = (seen + d.toString()).slice(-4000);
          const m = announce.pattern.exec(seen);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
        proc.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${stderrTail.trim()}`));
        });
      });
      if (announce.stream === 'stdout') proc.stdout?.resume();
    } else if (opts.port !== undefined) {
      port = opts.port;
      await waitForGreeting(port, timeoutMs, () => proc.exitCode !== null ? `${name} exited (${proc.exitCode}): ${stderrTail.trim()}` : undefined);
    } else {
      throw new Error(`${name}: neither an announcement nor a port`);
    }
    if (proc.pid === undefined) throw new Error(`${name}: no pid`);
    const ms = Date.now() - started;
    if (ms > 1000) process.stderr.write(`bench:   (${name} took ${(ms / 1000).toFixed(1)} s to start)\n`);
    return { name, proc, pid: proc.pid, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Poll until a connection to the port gets an IMAP greeting. */
async function waitForGreeting(port: number, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed();
    if (why) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => { s.destroy(); resolve(false); }, 2000);
      s.once('data', (d: Buffer) => { clearTimeout(timer); s.destroy(); resolve(d.toString('latin1').startsWith('* OK')); });
      s.once('error', () => { clearTimeout(timer); resolve(false); });
      s.once('close', () => { clearTimeout(timer); resolve(false); });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free TCP port on 127.0.0.1 (for children that cannot announce one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Memory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (since start, or since the last resetPeak), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process, from /proc/PID/status. */
export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system) a process has used so far, in seconds, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime, stime (fields 14, 15)
}

/** Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs). False when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
