/**
 * A stand-in for sqlite-log-worker.ts in tests: it answers `open`, then exits (code 7) on the next
 * request without replying, the way a thread that dies in the middle of a call leaves its caller.
 */
import { parentPort } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './sqlite-worker-protocol.js';

parentPort!.on('message', (m: WorkerRequest) => {
  if (m.op === 'open') parentPort!.postMessage({ id: m.id, ok: true, value: undefined } satisfies WorkerReply);
  else process.exit(7);
});
