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
import socket, sys, time, json, os
mode = sys.argv[1]
class Conn:
    def __init__(self, port):
        self.c = socket.create_connection(('127.0.0.1', port))
        self.c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''
        self.line()
    def line(self):
        while b'\\r\\n' not in self.buf:
            d = self.c.recv(1 << 20)
            if not d: raise SystemExit('closed')
            self.buf += d
        i = self.buf.index(b'\\r\\n') + 2
        l, self.buf = self.buf[:i], self.buf[i:]
        return l
    def logout(self):
        self.c.sendall(b'z LOGOUT\\r\\n')
        try:
            while self.line(): pass
        except SystemExit:
            pass
if mode == 'fetch':
    conn = Conn(int(sys.argv[2]))
    c = conn.c
    t0 = time.perf_counter()
    c.sendall(b'f1 FETCH 1 BODY[]\\r\\n')
    head = conn.line()
    size = int(head[head.rindex(b'{') + 1:head.rindex(b'}')])
    got = min(len(conn.buf), size); conn.buf = conn.buf[got:]
    while got < size:
        d = c.recv(min(1 << 20, size - got))
        if not d: raise SystemExit('closed in literal')
        got += len(d)
    while not conn.line().startswith(b'f1 '): pass
    print(json.dumps({'bytes': got, 'seconds': time.perf_counter() - t0}), flush=True)
    conn.logout()
else:
    ports = [int(p) for p in sys.argv[2].split(',')]
    pids = [int(p) for p in sys.argv[3].split(',')]
    n, warm, blocks = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    tck = os.sysconf('SC_CLK_TCK')
    def cpu(pid):
        with open('/proc/%d/stat' % pid) as f: s = f.read()
        fields = s[s.rindex(')') + 2:].split()
        return (int(fields[11]) + int(fields[12])) / tck
    def trips(conn, count, tag):
        out = []
        for i in range(count):
            t0 = time.perf_counter_ns()
            conn.c.sendall(tag + b' NOOP\\r\\n')
            conn.line()
            out.append((time.perf_counter_ns() - t0) / 1000)
        return out
    pick = lambda xs, p: xs[min(len(xs) - 1, max(0, int(-(-p * len(xs) // 100)) - 1))]
    conns = [Conn(p) for p in ports]
    cold = [sorted(trips(conn, warm, b'w')) for conn in conns]
    times = [[] for _ in conns]
    used = [0.0 for _ in conns]
    per = -(-n // blocks)
    for b in range(blocks):
        for i, conn in enumerate(conns):
            k = min(per, n - b * per)
            if k <= 0: continue
            c0 = cpu(pids[i]) if pids[i] else 0
            times[i] += trips(conn, k, b'n%d' % b)
            if pids[i]: used[i] += cpu(pids[i]) - c0
    out = []
    for i, ts in enumerate(times):
        ts.sort()
        out.append({'median': pick(ts, 50), 'p99': pick(ts, 99), 'mean': sum(ts) / len(ts), 'count': len(ts),
                    'tail': [pick(ts, q) for q in (90, 95, 98, 99.5, 99.9)],
                    'coldP99': pick(cold[i], 99) if cold[i] else None, 'cpuPerTrip': used[i] * 1e6 / len(ts) if pids[i] else None})
    print(json.dumps(out), flush=True)
    for conn in conns: conn.logout()
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
  return JSON.parse(await runClient(['fetch', String(port)])) as { bytes: number; seconds: number };
}

/** A relay the Python client times NOOPs through: its port, and its pid for CPU time (0: none to read). */
export interface NoopTarget { port: number; pid: number }

/** `tail`: the p90, p95, p98, p99.5 and p99.9 (nearest rank), in µs. */
export interface PythonNoops { median: number; p99: number; mean: number; count: number; tail: number[]; coldP99?: number; cpuPerTrip?: number }

/**
 * One Python client, one connection per target: `warm` warm-up NOOP round trips on each (one target
 * after another), then `count` per target in `blocks` blocks taken in turn across the targets, so
 * that drift on the machine hits every path alike (as the Node client's latency phase). Times in µs;
 * `coldP99` is the warm-up's p99; `cpuPerTrip` the relay's CPU µs (user + system, /proc) per round
 * trip over the measured blocks.
 */
export async function pythonNoopBlocks(targets: NoopTarget[], count: number, warm: number, blocks: number): Promise<PythonNoops[]> {
  const out = JSON.parse(await runClient(['noops', targets.map((t) => t.port).join(','), targets.map((t) => t.pid).join(','),
    String(count), String(warm), String(blocks)])) as Array<{ median: number; p99: number; mean: number; count: number; tail: number[]; coldP99: number | null; cpuPerTrip: number | null }>;
  return out.map((r) => ({ median: r.median, p99: r.p99, mean: r.mean, count: r.count, tail: r.tail, coldP99: r.coldP99 ?? undefined, cpuPerTrip: r.cpuPerTrip ?? undefined }));
}

async function runClient(args: string[]): Promise<string> {
  const proc = spawn('python3', ['-c', CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
