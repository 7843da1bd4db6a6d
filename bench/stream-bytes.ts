import type { Socket } from 'node:net';

/**
 * Write `size` bytes to `socket` from one reused `chunk`, waiting for 'drain' whenever the socket
 * asks, then call `done`: a literal of any size, never built in memory.
 */
export function streamBytes(socket: Socket, chunk: Buffer, size: number, done: () => void): void {
  let left = size;
  const pump = (): void => {
    while (left > 0) {
      if (socket.destroyed) return;
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}
