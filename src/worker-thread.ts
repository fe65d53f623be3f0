/**
 * Starting a worker thread on one of the project's own modules, the same way whether the code runs
 * built (.js) or through tsx (.ts: tests, `npm run bench -- --tsx`). Used by the request log's
 * SQLite thread and the config loader thread.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';

/**
 * The module `name` beside the calling module (pass its `import.meta.url`), with the caller's own
 * extension: tsx maps `.js` imports to `.ts` files, but not a worker's entry URL.
 */
export function siblingModule(importMetaUrl: string, name: string): URL {
  return new URL(`./${name}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl);
}

/**
 * A worker running `entry`. A .ts entry means we run under tsx, whose `--import tsx` the worker
 * inherits but whose hooks Node registers in worker threads only from 22.22.3 / 24.11.1 on: the
 * worker then registers tsx itself before importing its entry (a second registration is harmless).
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
