/**
 * What each step of a 0 %-hit cache miss costs when its memory is cold, as it is in the server
 * (whose other work between two misses touches far more than the caches hold), against the same
 * steps in a tight loop. The steps are the middleware's: the key (canonical serialization and
 * SHA-256), the lookup, the answer's encoding and the store's insert. "Cold" sweeps 32 MB through
 * the caches before each miss.
 *
 *   node --import tsx bench/miss-cold.ts            hot and cold, µs a step
 *   node --import tsx bench/miss-cold.ts --fresh    the store's write alone, into fresh ring pages
 *                                                   against pages already written once
 *
 * On this project's 2-vCPU VM (docs/performance.md, "On Node 26 too, and what the kernel adds"):
 * hot about 7 µs a miss, cold about 27 µs (what a miss costs the server), and several times
 * that when the VM's memory is slow to reach.
 */
import { cacheKeys } from '../src/cache/cache-key.js';
import { encodeAnswer } from '../src/cache/cache-store.js';
import { MemoryCacheStore } from '../src/cache/memory-store.js';
import type { CoreRequest } from '../src/core/request.js';
import type { CoreResponse } from '../src/core/response.js';

const clock = { now: () => Date.now() } as never;
const sweep = new Float64Array(4 * 1024 * 1024); // 32 MB

/** One write per 64-byte line of 32 MB: every cache level (and the TLB) is left holding it. */
function chill(): void {
  for (let i = 0; i < sweep.length; i += 8) sweep[i]! += 1;
}

function request(i: number): CoreRequest {
  return {
    model: 'bench-cached',
    system: [{ type: 'text', text: 'You are terse.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: `Summarize the following paragraph in one sentence. #${i}` }] }],
    extras: {},
  } as unknown as CoreRequest;
}

/** An answer of the bench's size (about 450 bytes of JSON). */
function answer(i: number): CoreResponse {
  return {
    id: 'chatcmpl-mock',
    model: 'gpt-4o-mini',
    content: [{ type: 'text', text: `[system: You are terse.] mock reply to: Summarize the following paragraph in one sentence. #${i}` }],
    finishReason: 'stop',
    rawFinishReason: 'stop',
    usage: { inputTokens: 25, outputTokens: 12 },
    created: 1764000000,
  };
}

const STEPS = ['key', 'lookup', 'encode', 'insert'] as const;

function misses(store: MemoryCacheStore, from: number, n: number, cold: boolean): Record<(typeof STEPS)[number], number> {
  const ns = [0, 0, 0, 0];
  let found = 0;
  for (let i = from; i < from + n; i++) {
    const req = request(i);
    const res = answer(i);
    if (cold) chill();
    const t0 = process.hrtime.bigint();
    const key = cacheKeys({ request: req, route: ['mock-openai/gpt-4o-mini'], namespace: 'global' }, false).exact;
    const t1 = process.hrtime.bigint();
    if (store.getNow('global', key)) found++;
    const t2 = process.hrtime.bigint();
    const json = encodeAnswer({ v: 1, response: res, storedAt: Date.now(), provider: 'mock-openai', providerType: 'openai', model: 'gpt-4o-mini' });
    const t3 = process.hrtime.bigint();
    store.setNow('global', key, json, 3_600_000);
    const t4 = process.hrtime.bigint();
    ns[0]! += Number(t1 - t0);
    ns[1]! += Number(t2 - t1);
    ns[2]! += Number(t3 - t2);
    ns[3]! += Number(t4 - t3);
  }
  if (found) throw new Error('a unique key was found: the bench is broken');
  return Object.fromEntries(STEPS.map((s, i) => [s, ns[i]! / n / 1000])) as Record<(typeof STEPS)[number], number>;
}

function line(label: string, r: Record<string, number>): string {
  const total = Object.values(r).reduce((a, b) => a + b, 0);
  return `${label.padEnd(6)} ${Object.entries(r)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')}; a miss ${total.toFixed(2)} µs`;
}

function steps(): void {
  const store = new MemoryCacheStore({ maxBytes: 256 * 1024 * 1024, clock });
  misses(store, 0, 100_000, false); // compiled, and an index of the size a busy store has
  chill(); // the sweep's own pages are written once before anything is timed
  for (let round = 1; round <= 3; round++) {
    console.log(`round ${round}`);
    console.log(line('hot', misses(store, round * 1_000_000, 50_000, false)));
    console.log(line('cold', misses(store, round * 1_000_000 + 500_000, 2_000, true)));
  }
}

/** The store's byte write, cold, into pages never written (a filling ring) and into written ones. */
function fresh(): void {
  const json = encodeAnswer({ v: 1, response: answer(0), storedAt: 0 });
  const n = 4_000;
  chill();
  for (const kind of ['fresh', 'written', 'fresh', 'written'] as const) {
    const buf = Buffer.allocUnsafeSlow(n * 512);
    if (kind === 'written') buf.fill(0);
    let ns = 0;
    for (let i = 0; i < n; i++) {
      chill();
      const t0 = process.hrtime.bigint();
      buf.write(json, i * 512, 'latin1');
      ns += Number(process.hrtime.bigint() - t0);
    }
    console.log(`${kind.padEnd(8)} pages: ${(ns / n / 1000).toFixed(2)} µs a ${json.length}-byte write`);
  }
}

if (process.argv.includes('--fresh')) fresh();
else steps();
