// Runs the real `bin/imapdbg` CLI as a child process, as a user would, and talks to it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const BIN = path.resolve(__dirname, '../../../bin/imapdbg');

export interface ImapdbgProcess {
  child: ChildProcess;
  /** Port the proxy listens on (read from its "listening on" line). */
  port: number;
  stdout(): string;
  stderr(): string;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `imapdbg proxy ARGS --listen 127.0.0.1:0` and wait (bounded) until it listens. */
export async function startImapdbgProxy(args: string[], timeoutMs = 10_000): Promise<ImapdbgProcess> {
  // --socks and --route name their own listening addresses (and refuse --listen without --upstream).
  const listen = args.includes('--socks') || args.includes('--route') ? [] : ['--listen', '127.0.0.1:0'];
  const child = spawn(process.execPath, [BIN, 'proxy', ...listen, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  // 'close', not 'exit': it comes after stdout and stderr are fully read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`imapdbg did not start: ${err}`)), timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /listening on [^ ]*:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`imapdbg exited with ${code}: ${err}`)); });
  });
  return {
    child,
    port,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Run `imapdbg ARGS` to completion; stdout as a Buffer (raw exports are binary). */
export function runImapdbg(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`imapdbg ${args.join(' ')} timed out`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr: err }); });
  });
}
