// Runs the real command line (bin/imapdbg) as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** The launcher, from dist/test/fixtures-tools/. */
export const IMAPDBG = path.resolve(__dirname, '../../../bin/imapdbg');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `imapdbg ARGS` to completion; SIGKILLs it after `timeoutMs` and rejects. */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IMAPDBG, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`imapdbg ${args.join(' ')}: killed after ${timeoutMs} ms\n${stdout}\n${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
  });
}

/**
 * Starts a long-running `imapdbg ARGS` (a --serve) and resolves once its standard error shows
 * `pattern`; returns the child and the match. Stop it with `child.kill()`.
 */
export function startCli(args: string[], pattern: RegExp, timeoutMs = 30_000): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IMAPDBG, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`imapdbg ${args.join(' ')}: no ${String(pattern)} within ${timeoutMs} ms\n${stderr}`)); }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = pattern.exec(stderr);
      if (m) { clearTimeout(timer); resolve({ child, match: m, stderr: () => stderr }); }
    });
    child.on('close', (code) => { clearTimeout(timer); reject(new Error(`imapdbg exited ${code}\n${stderr}`)); });
  });
}
