// Runs a python3 snippet as a real third-party IMAP client (imaplib etc.) for end-to-end tests.
import { spawn } from 'node:child_process';
import * as os from 'node:os';

export interface PythonResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `python3 -c script args...` (sys.argv[1:] == args). Resolves with the exit code and output
 * whatever the code; rejects if python3 cannot be started or runs past `timeoutMs` (it is then
 * SIGKILLed), so a hung client fails the test instead of hanging it.
 */
export function runPython(
  script: string,
  args: string[],
  opts?: { timeoutMs?: number },
): Promise<PythonResult> {
  const timeoutMs = opts?.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PYTHON ?? 'python3', ['-c', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`runPython: cannot start python3: ${e.message}`));
    });
    // 'close' rather than 'exit': it comes after stdout/stderr are fully read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`runPython: killed after ${timeoutMs} ms\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`));
      } else {
        // Shell convention for a death by signal: 128 + its number.
        resolve({ code: code ?? 128 + (signal ? os.constants.signals[signal] : 0), stdout, stderr });
      }
    });
  });
}
