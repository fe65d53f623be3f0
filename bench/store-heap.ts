/**
 * What a large memory cache costs every request through the young-generation collector: fills a
 * store with N answers, then runs 200,000 simulated requests (about 10 KB of short-lived objects
 * and one stored answer each) and reports the scavenges' time per request, from perf_hooks.
 *
 *   node --expose-gc --import tsx bench/store-heap.ts 2000 store       the memory store, 2,000 answers kept
 *   node --expose-gc --import tsx bench/store-heap.ts 250000 store     ... 250,000 answers kept
 *   node --expose-gc --import tsx bench/store-heap.ts 250000 retain    N answers kept but never written again;
 *                                                                     the inserts go to a small map
 *   node --expose-gc --import tsx bench/store-heap.ts 250000 buffers   answers as Buffers (bytes off the heap)
 *
 * Compare N=2000 with N=250000 in the same variant, on the same Node (docs/performance.md,
 * "A turn's lookups in one batch").
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { encodeAnswer } from '../src/cache/cache-store.js';
import { MemoryCacheStore } from '../src/cache/memory-store.js';
import type { CoreResponse } from '../src/core/response.js';

const N = Number(process.argv[2] ?? 250_000);
const variant = process.argv[3] ?? 'store';
if (!['store', 'retain', 'buffers'].includes(variant)) throw new Error('variant: store | retain | buffers');
const REQUESTS = 200_000;

let scavengeMs = 0;
let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if ((e as { detail?: { kind?: number } }).detail?.kind !== 1) continue; // 1: minor GC (scavenge)
    scavengeMs += e.duration;
    scavenges++;
  }
}).observe({ entryTypes: ['gc'] });

const store = new MemoryCacheStore({ maxBytes: 2 ** 31, clock: { now: () => Date.now() } as never });
const kept = new Map<string, string>();
const small = new Map<string, string>();
const buffers = new Map<string, Buffer>();

/** An answer of the benchmark's size (about 440 bytes of JSON). */
function answer(i: number): string {
  const response: CoreResponse = {
    id: `chatcmpl-${i}`,
    model: 'gpt-4o-mini',
    content: [{ type: 'text', text: `[system: You are terse.] mock reply to: Say hello to the benchmark in ten short words, please. ${i}` }],
    finishReason: 'stop',
    usage: { inputTokens: 20, outputTokens: 17 },
  };
  return encodeAnswer({ v: 1, storedAt: i, response, provider: 'openai', providerType: 'openai', model: 'gpt-4o-mini' });
}
/** A key as long as the cache's (43 characters of base64url). */
const keyOf = (i: number) => 'k' + i.toString(36).padStart(42, 'x');

function put(i: number, filling: boolean): void {
  if (variant === 'store') store.setNow('global', keyOf(i), answer(i), 1e9);
  else if (variant === 'buffers') buffers.set(keyOf(i), Buffer.from(answer(i)));
  else if (filling) kept.set(keyOf(i), answer(i));
  else {
    small.set(keyOf(i), answer(i));
    if (small.size > 2000) small.clear();
  }
}

for (let i = 0; i < N; i++) put(i, true);
(globalThis as { gc?: () => void }).gc?.();
scavengeMs = 0;
scavenges = 0;

const live: unknown[] = [];
const started = performance.now();
for (let r = 0; r < REQUESTS; r++) {
  const garbage: unknown[] = [];
  for (let j = 0; j < 300; j++) garbage.push({ a: j, b: `x${j}`, c: [j] });
  live[r % 64] = garbage; // the last 64 requests' objects are alive, like requests in flight
  put(N + r, false);
  // GC entries are delivered between turns of the event loop.
  if (r % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
}
const loopMs = performance.now() - started;
await new Promise((resolve) => setTimeout(resolve, 50));
const per = (ms: number) => ((ms * 1000) / REQUESTS).toFixed(2);
console.log(`${variant}, ${N} kept, Node ${process.version}: ${scavenges} scavenges, ${(scavengeMs / Math.max(1, scavenges)).toFixed(2)} ms each, ${per(scavengeMs)} µs a request (loop ${per(loopMs)} µs a request)`);
