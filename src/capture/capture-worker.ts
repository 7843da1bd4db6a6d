/**
 * The capture writer's thread: turns the batches that `CaptureWriter` posts into capture records
 * (`encodeRecord`, the same encoding as ever) and appends them to the file with synchronous
 * writes, in the order they came. Each write holds whole records, so a killed process leaves a
 * file that reads up to its last complete record. Progress goes to the writer through a shared
 * counter; messages back are only batch buffers for reuse, `drained` when the writer waits, the
 * first error, and `closed`. After an error it writes nothing more but still counts batches as
 * done, so that the proxy never waits on a dead disk.
 */
import { fsyncSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { ProxyEvent } from '../imap/events';
import { HIGH_WATER, HOLDING, POSTED, WAITING, WRITTEN, type DataRef, type FromWorker, type ToWorker, type WorkerInit } from './capture-writer';
import { DATA_RECORD_TAIL, dataRecordHead, encodeRecord } from './record-encoding';

/** Output is written whenever this much is encoded (a batch's worth of base64 is ~1.4 MB). */
const FLUSH_AT = 4 * 1024 * 1024;

const port = parentPort;
if (!port) throw new Error('capture-worker.js runs as a worker thread of CaptureWriter');
const init = workerData as WorkerInit;
const fd = init.fd;
const shared = new BigInt64Array(init.shared);
let broken = false;
let out = Buffer.allocUnsafe(2 * 1024 * 1024);
let used = 0;
/** Batch buffers to hand back, sent once per turn of this thread's loop. */
let returning: ArrayBuffer[] = [];
let returnScheduled = false;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function fail(err: unknown): void {
  if (broken) return;
  broken = true;
  const e = err as NodeJS.ErrnoException;
  send({ kind: 'error', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : undefined });
}

function flush(): void {
  let off = 0;
  try {
    while (off < used) off += writeSync(fd, out, off, used - off);
  } catch (err) {
    fail(err);
  }
  used = 0;
}

/** Room for n more bytes in `out`. */
function reserve(n: number): void {
  if (used + n > out.length) {
    flush();
    if (n > out.length) out = Buffer.allocUnsafe(Math.max(n, out.length * 2));
  }
}

/**
 * A data record straight into `out`, the same bytes as `encodeRecord` gives: head, base64, tail
 * written one after the other, so that the 4/3-size base64 string is not copied into a joined line.
 */
function appendData(ref: DataRef, bytes: Buffer): void {
  const head = dataRecordHead(ref);
  const b64 = bytes.toString('base64');
  reserve(head.length + b64.length + DATA_RECORD_TAIL.length);
  used += out.write(head, used, 'latin1');
  used += out.write(b64, used, 'latin1');
  used += out.write(DATA_RECORD_TAIL, used, 'latin1');
  if (used >= FLUSH_AT) flush();
}

function append(line: string): void {
  reserve(Buffer.byteLength(line, 'utf8'));
  used += out.write(line, used, 'utf8');
  if (used >= FLUSH_AT) flush();
}

function writeBatch(buf: ArrayBuffer | undefined, items: Array<DataRef | ProxyEvent>): void {
  for (const item of items) {
    if (broken) return;
    if (item.type === 'data-ref') {
      appendData(item, buf ? Buffer.from(buf, item.offset, item.length) : Buffer.alloc(0));
    } else {
      append(encodeRecord(item));
    }
  }
  if (!broken && used > 0) flush();
}

function giveBack(buf: ArrayBuffer): void {
  returning.push(buf);
  if (returnScheduled) return;
  returnScheduled = true;
  setImmediate(() => {
    returnScheduled = false;
    const bufs = returning;
    returning = [];
    send({ kind: 'buffers', bufs }, bufs);
  });
}

append(init.header);
flush();

port.on('message', (msg: ToWorker) => {
  if (msg.kind === 'batch') {
    if (!broken) {
      try {
        writeBatch(msg.buf, msg.items);
      } catch (err) {
        fail(err);
      }
    }
    Atomics.store(shared, WRITTEN, BigInt(msg.posted));
    // The writer waits: tell it once the backlog is below the mark (what it posted since counts too).
    if (Atomics.load(shared, WAITING) === 1n && Number(Atomics.load(shared, POSTED)) - msg.posted <= HIGH_WATER) {
      Atomics.store(shared, WAITING, 0n);
      send({ kind: 'drained' });
    }
    // The writer holds a batch back until everything before it is written.
    if (Number(Atomics.load(shared, POSTED)) === msg.posted && Atomics.load(shared, HOLDING) === 1n) {
      Atomics.store(shared, HOLDING, 0n);
      send({ kind: 'idle' });
    }
    if (msg.buf && msg.buf.byteLength === init.bufferBytes) giveBack(msg.buf);
    return;
  }
  // close: everything posted before it is written by now.
  if (!broken) {
    try {
      fsyncSync(fd);
    } catch (err) {
      // Devices and pipes cannot be synced; that is not a lost record.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EROFS') fail(err);
    }
  }
  send({ kind: 'closed' });
  port.close();
});
