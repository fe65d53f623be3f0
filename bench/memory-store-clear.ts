/**
 * How long `DELETE /api/cache?namespace=` holds the event loop on a full memory store: the store
 * filled with `--entries` answers (about 480 bytes each, 256 MiB ring) spread over `--spaces`
 * namespaces, then each namespace cleared in turn, timed. With `--baseline-root DIR` the same is
 * run on that tree's store first (a worktree of an earlier commit), and the ratio printed.
 *
 *   node --import tsx bench/memory-store-clear.ts [--entries 500000] [--spaces 10] [--baseline-root DIR]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/routing/clock.js';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '500000' }, spaces: { type: 'string', default: '10' }, 'baseline-root': { type: 'string' } } });
const entries = Number(values.entries);
const spaces = Number(values.spaces);

interface Store {
  setNow(ns: string, key: string, json: string, ttlMs: number): void;
  clear(ns?: string): Promise<number>;
  stats(): Promise<{ entries: number | undefined }>;
}
type StoreClass = new (o: { maxBytes: number; clock: typeof systemClock }) => Store;

async function storeFrom(root: string): Promise<StoreClass> {
  const mod = (await import(pathToFileURL(resolve(root, 'src/cache/memory-store.ts')).href)) as { MemoryCacheStore: StoreClass };
  return mod.MemoryCacheStore;
}

const json = JSON.stringify({ v: 1, storedAt: 0, response: { id: 'bench', model: 'gpt-4o-mini', content: [{ type: 'text', text: 'y'.repeat(360) }], finishReason: 'stop', usage: { inputTokens: 20, outputTokens: 90 } } });

/** Median ms a namespace clear took, after filling the store. */
async function run(Store: StoreClass, label: string): Promise<number> {
  const s = new Store({ maxBytes: 256 * 1024 * 1024, clock: systemClock });
  for (let i = 0; i < entries; i++) s.setNow(`key:tenant-${i % spaces}`, `${i}-${'k'.repeat(40)}`, json, 3_600_000);
  const held = (await s.stats()).entries;
  const times: number[] = [];
  let cleared = 0;
  for (let r = 0; r < spaces; r++) {
    const t = performance.now();
    cleared += await s.clear(`key:tenant-${r}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`${label.padEnd(9)} ${held} entries in ${spaces} namespace${spaces === 1 ? '' : 's'}: a clear takes ${median.toFixed(1)} ms (median), ${times[times.length - 1]!.toFixed(1)} ms (max); ${cleared} cleared`);
  await s.clear();
  return median;
}

const base = values['baseline-root'] ? await run(await storeFrom(values['baseline-root']), 'baseline') : undefined;
const now = await run(await storeFrom(resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..')), 'this tree');
if (base !== undefined) console.log(`this tree ÷ baseline: ${((100 * now) / base).toFixed(1)} %`);
