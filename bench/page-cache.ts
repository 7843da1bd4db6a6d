/**
 * The page cache a capture is written into, made the same for every run (issue 10).
 *
 * On the Firecracker guests this project is benchmarked on, the host backs the guest's memory
 * lazily, and takes back what the guest frees (free page reporting): the first write into a page
 * the guest has not used yet, or freed a few seconds ago, costs the host a fault. A file write into
 * such pages cost 1.6-2.5 CPU s per GiB, against 0.4-0.5 into pages a deleted file had just freed
 * (`node dist/bench/page-cache-cost.js`). Which one a recording run got depended on what the runs
 * before it had freed: the recording proxy measured 0.5x the pipe in the slot right after the pipe
 * and 1.0x in the next slot, swapping when the builds in the two slots swapped. Right before every
 * transfer, whatever the path, the benchmark writes and deletes a scratch file a little bigger than
 * the capture, so the capture lands in memory this guest has just used, as it would on a machine
 * whose memory has all been used before.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';

const CHUNK = Buffer.alloc(1024 * 1024, 0x2e);

/**
 * Before a transfer whose capture will hold about `captureBytes`: writes a scratch file an eighth
 * bigger at `file` and deletes it; returns the CPU seconds per GiB that write cost.
 */
export function recyclePageCache(file: string, captureBytes: number): number {
  return writeFileCost(file, captureBytes + captureBytes / 8, false);
}

/**
 * Writes `bytes` to a new file at `file` from this thread, 1 MiB at a time; returns the CPU seconds
 * (user + system) per GiB it cost. `keep` leaves the file (and its pages) in place; otherwise it is
 * deleted, and its pages are free for the next write.
 */
export function writeFileCost(file: string, bytes: number, keep: boolean): number {
  const before = process.cpuUsage();
  const fd = openSync(file, 'w', 0o600);
  try {
    for (let at = 0; at < bytes;) at += writeSync(fd, CHUNK, 0, Math.min(CHUNK.length, bytes - at), at);
  } finally {
    closeSync(fd);
    if (!keep) rmSync(file, { force: true });
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6 / (bytes / 2 ** 30);
}
