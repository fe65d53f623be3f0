/**
 * Client libraries of optional backends (ioredis, pg, hnswlib-node) loaded when a feature first
 * uses them instead of when the gateway starts. Imported at the top of a module, each was loaded by
 * every `switchyard start` whose config never names Redis, Postgres or a semantic index — about
 * 30 MB of RSS at idle together, for nothing (docs/performance.md, "Memory"). All three are CommonJS,
 * so a synchronous require at first use keeps their call sites synchronous.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** `name`'s exports, required on the first call and remembered. */
export function loadOnUse<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(name) as T);
}
