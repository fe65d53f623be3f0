/**
 * The mock's I/O helpers: waits that end when the exchange is cancelled, writes that resolve once
 * the bytes reached the kernel (so fault timing is real on the wire), and reading a request body.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleepFor } from 'node:timers/promises';

/** Resolves true after ms, or false as soon as the signal aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleepFor(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Writes one chunk and resolves once it is handed to the kernel (true) or the exchange ended (false). */
export function writeAndFlush({ res, chunk, signal }: { res: ServerResponse; chunk: string | Uint8Array; signal: AbortSignal }): Promise<boolean> {
  if (signal.aborted || res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(chunk, (err) => {
      signal.removeEventListener('abort', onAbort);
      resolve(!err);
    });
  });
}

/** Resolves once everything written to the socket so far has left for the kernel. */
export async function socketFlushed(socket: Socket | null, signal: AbortSignal): Promise<boolean> {
  if (!socket || socket.destroyed) return false;
  if (socket.writableLength === 0) return true;
  try {
    await once(socket, 'drain', { signal });
    return true;
  } catch {
    return false;
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}
