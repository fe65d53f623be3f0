/**
 * Micro-benchmark of the embedded semantic cache lookup (the in-process HNSW graph, no SQLite):
 * N entries in one context group (the worst case: every entry a candidate), then timed searches
 * for near-duplicates of stored entries. Prints p50/p99/max per lookup.
 *
 *   npm run bench:semantic                          100,000 entries, 384 dimensions
 *   npm run bench:semantic -- --entries 20000 --dims 1536 --queries 5000
 */
import { EmbeddedSemanticIndex } from '../src/cache/embedded-semantic-index.js';
import { Samples } from './lib/percentiles.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const entries = arg('entries', 100_000);
const dims = arg('dims', 384);
const queries = arg('queries', 10_000);

/** A small seeded generator, so runs compare. */
let seed = 0x9e3779b9;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return ((seed >>> 0) / 0xffffffff) * 2 - 1;
}
function unit(v: number[]): number[] {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}
function randomVector(): number[] {
  return unit(Array.from({ length: dims }, rand));
}

const idx = new EmbeddedSemanticIndex();
const stored: number[][] = [];
const t0 = performance.now();
for (let i = 0; i < entries; i++) {
  const v = randomVector();
  if (i % Math.max(1, Math.floor(entries / 1000)) === 0) stored.push(v);
  await idx.add({ namespace: 'global', contextKey: 'ctx', vector: v, value: `answer ${i}`, expiresAt: Number.MAX_SAFE_INTEGER });
}
// A group past its list size gets its HNSW graph built between turns of the event loop: wait for it.
await idx.idle();
const buildMs = performance.now() - t0;

const times = new Samples(queries);
let hits = 0;
for (let q = 0; q < queries; q++) {
  const base = stored[q % stored.length]!;
  const query = unit(base.map((x) => x + rand() * 0.01));
  const s = performance.now();
  const m = idx.searchSync({ namespace: 'global', contextKey: 'ctx', vector: query, threshold: 0.95, now: 0 });
  times.add(performance.now() - s);
  if (m) hits++;
}
const p = times.summary();
const r = (x: number) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({ entries, dims, queries, build_s: r(buildMs / 1000), hit_rate: hits / queries, lookup_ms: { p50: r(p.p50), p99: r(p.p99), max: r(p.max), mean: r(p.mean) }, target_p99_ms: 2, met: p.p99 <= 2 }, null, 2),
);
