/**
 * Non-Node peers for the benchmark (issue 10): a Python fake IMAP server that writes a literal
 * 1 MiB at a time (`sendall`), and a Python client that fetches it or times NOOP round trips.
 * Node peers read and write 64 KiB at a time through libuv; these peers do what an independent
 * harness (and most real servers) do, so the proxy meets other chunk sizes and other pacing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SERVER = `
import socket, sys, threading
size = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
chunk = b'x' * (1024 * 1024)
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile('rb')
    c.sendall(b'* OK [CAPABILITY IMAP4rev1] python fake ready\\r\\n')
    for line in f:
        words = line.split()
        if len(words) < 2: continue
        tag, verb = words[0], words[1].upper()
        if verb == b'FETCH':
            c.sendall(b'* 1 FETCH (BODY[] {%d}\\r\\n' % size)
            n = size
            while n > 0:
                c.sendall(chunk[:min(n, len(chunk))]); n -= len(chunk)
            c.sendall(b')\\r\\n' + tag + b' OK FETCH done\\r\\n')
        elif verb == b'LOGOUT':
            c.sendall(b'* BYE bye\\r\\n' + tag + b' OK LOGOUT\\r\\n'); break
        else:
            c.sendall(tag + b' OK ' + verb + b' completed\\r\\n')
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

const CLIENT = `
import socket, sys, time, json
port, mode, n, warm = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = socket.create_connection(('127.0.0.1', port))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b''
def line():
    global buf
    while b'\\r\\n' not in buf:
        d = c.recv(1 << 20)
        if not d: raise SystemExit('closed')
        buf += d
    i = buf.index(b'\\r\\n') + 2
    l, buf = buf[:i], buf[i:]
    return l
line()
if mode == 'fetch':
    t0 = time.perf_counter()
    c.sendall(b'f1 FETCH 1 BODY[]\\r\\n')
    head = line()
    size = int(head[head.rindex(b'{') + 1:head.rindex(b'}')])
    got = min(len(buf), size); buf = buf[got:]
    while got < size:
        d = c.recv(min(1 << 20, size - got))
        if not d: raise SystemExit('closed in literal')
        got += len(d)
    while not line().startswith(b'f1 '): pass
    print(json.dumps({'bytes': got, 'seconds': time.perf_counter() - t0}), flush=True)
else:
    def trips(count, tag):
        out = []
        for i in range(count):
            t0 = time.perf_counter_ns()
            c.sendall(tag + b' NOOP\\r\\n')
            line()
            out.append((time.perf_counter_ns() - t0) / 1000)
        out.sort()
        return out
    pick = lambda xs, p: xs[min(len(xs) - 1, max(0, -(-p * len(xs) // 100) - 1))]
    cold = trips(warm, b'w')
    times = trips(n, b'n')
    print(json.dumps({'median': pick(times, 50), 'p99': pick(times, 99), 'mean': sum(times) / len(times), 'count': len(times),
                      'coldP99': pick(cold, 99) if cold else None}), flush=True)
c.sendall(b'z LOGOUT\\r\\n')
try:
    while line(): pass
except SystemExit:
    pass
`;

export interface PythonServer {
  port: number;
  stop(): void;
}

/** The Python fake server; every FETCH answers a literal of `literalBytes`. */
export async function startPythonServer(literalBytes: number): Promise<PythonServer> {
  const proc = spawn('python3', ['-c', SERVER, String(literalBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await firstLine(proc).then(Number);
  if (!Number.isInteger(port)) throw new Error('python fake server did not start');
  return { port, stop: () => { proc.kill('SIGTERM'); } };
}

/** The Python client fetching the server's literal once: bytes and seconds. */
export async function pythonFetch(port: number): Promise<{ bytes: number; seconds: number }> {
  return JSON.parse(await runClient(port, 'fetch', 0)) as { bytes: number; seconds: number };
}

/**
 * `count` sequential NOOP round trips after `warm` warm-up ones, in µs; `coldP99` is the warm-up
 * ones' p99 (the first round trips a freshly started proxy carries).
 */
export async function pythonNoops(port: number, count: number, warm: number): Promise<{ median: number; p99: number; mean: number; count: number; coldP99?: number }> {
  const r = JSON.parse(await runClient(port, 'noop', count, warm)) as { median: number; p99: number; mean: number; count: number; coldP99: number | null };
  return { median: r.median, p99: r.p99, mean: r.mean, count: r.count, coldP99: r.coldP99 ?? undefined };
}

async function runClient(port: number, mode: string, count: number, warm = 0): Promise<string> {
  const proc = spawn('python3', ['-c', CLIENT, String(port), mode, String(count), String(warm)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const out = await firstLine(proc);
  await new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
  if (!out) throw new Error(`python client failed: ${err.trim().split('\n').pop() ?? ''}`);
  return out;
}

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    proc.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const i = seen.indexOf('\n');
      if (i !== -1) resolve(seen.slice(0, i).trim());
    });
    proc.once('exit', () => resolve(''));
  });
}

/** Read syscalls and bytes read so far by a process (/proc/PID/io): bytes per read is the chunk size it sees. */
export function readCounters(pid: number): { reads: number; bytes: number; writes: number; written: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'latin1');
  const field = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? NaN);
  return { reads: field('syscr'), bytes: field('rchar'), writes: field('syscw'), written: field('wchar') };
}
