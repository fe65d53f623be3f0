/**
 * An in-memory ring of one-minute buckets over the last hour, fed by every finished request: the
 * time series of the console's Overview (GET /api/overview) without Prometheus. Per bucket it
 * keeps counts (requests, errors, fallbacks) and, per provider, a bounded sample of latencies for
 * p50/p99. It is this replica's view; spend comes from the shared request log instead.
 */
import type { GatewayPlugin, RequestRecord } from '../plugin.js';

export const BUCKET_MS = 60_000;
export const RING_BUCKETS = 60;
/** Latencies kept per provider per bucket (reservoir sampling beyond it). */
const SAMPLE_CAP = 512;

interface ProviderBucket {
  requests: number;
  errors: number;
  latencies: number[];
}

interface Bucket {
  start: number;
  requests: number;
  errors: number;
  fallbacks: number;
  providers: Map<string, ProviderBucket>;
}

export interface OverviewPoint {
  /** Start of the bucket, epoch ms. */
  t: number;
  requests: number;
  /** requests / seconds in the bucket (the current bucket: seconds elapsed so far). */
  rps: number;
  error_rate: number;
  fallback_rate: number;
  fallbacks: number;
  errors: number;
}

export interface OverviewProviderPoint {
  t: number;
  requests: number;
  error_rate: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface OverviewSeries {
  bucket_ms: number;
  from: number;
  to: number;
  totals: { requests: number; errors: number; fallbacks: number; error_rate: number; fallback_rate: number };
  points: OverviewPoint[];
  by_provider: Record<string, OverviewProviderPoint[]>;
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export class OverviewRing implements GatewayPlugin {
  readonly name = 'overview-ring';
  private readonly buckets: (Bucket | undefined)[] = new Array<Bucket | undefined>(RING_BUCKETS);

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  private bucketFor(ts: number): Bucket | undefined {
    const start = Math.floor(ts / BUCKET_MS) * BUCKET_MS;
    if (start <= this.now() - RING_BUCKETS * BUCKET_MS) return undefined;
    const slot = (start / BUCKET_MS) % RING_BUCKETS;
    let b = this.buckets[slot];
    if (!b || b.start !== start) {
      if (b && b.start > start) return undefined;
      b = { start, requests: 0, errors: 0, fallbacks: 0, providers: new Map() };
      this.buckets[slot] = b;
    }
    return b;
  }

  onRequestEnd(record: RequestRecord): void {
    // Requests the gateway sends on its own (semantic-cache embeddings) are not client traffic.
    if (record.purpose) return;
    const b = this.bucketFor(record.startedAt + record.latencyMs);
    if (!b) return;
    const failed = record.errorCode !== undefined;
    b.requests++;
    if (failed) b.errors++;
    if ((record.fallbackIndex ?? 0) > 0) b.fallbacks++;
    if (!record.provider) return;
    let p = b.providers.get(record.provider);
    if (!p) {
      p = { requests: 0, errors: 0, latencies: [] };
      b.providers.set(record.provider, p);
    }
    p.requests++;
    if (failed) p.errors++;
    if (p.latencies.length < SAMPLE_CAP) p.latencies.push(record.latencyMs);
    else {
      const i = Math.floor(this.random() * p.requests);
      if (i < SAMPLE_CAP) p.latencies[i] = record.latencyMs;
    }
  }

  /** The last hour, oldest bucket first; buckets with no traffic are zeros. */
  series(): OverviewSeries {
    const now = this.now();
    const current = Math.floor(now / BUCKET_MS) * BUCKET_MS;
    const first = current - (RING_BUCKETS - 1) * BUCKET_MS;
    const points: OverviewPoint[] = [];
    const providers = new Set<string>();
    for (const b of this.buckets) if (b && b.start >= first) for (const name of b.providers.keys()) providers.add(name);
    const byProvider: Record<string, OverviewProviderPoint[]> = {};
    for (const name of [...providers].sort()) byProvider[name] = [];
    const totals = { requests: 0, errors: 0, fallbacks: 0, error_rate: 0, fallback_rate: 0 };
    for (let start = first; start <= current; start += BUCKET_MS) {
      const b = this.buckets[(start / BUCKET_MS) % RING_BUCKETS];
      const live = b && b.start === start ? b : undefined;
      const seconds = start === current ? Math.max(1, (now - start) / 1000) : BUCKET_MS / 1000;
      const requests = live?.requests ?? 0;
      const errors = live?.errors ?? 0;
      const fallbacks = live?.fallbacks ?? 0;
      totals.requests += requests;
      totals.errors += errors;
      totals.fallbacks += fallbacks;
      points.push({ t: start, requests, rps: requests / seconds, errors, fallbacks, error_rate: requests ? errors / requests : 0, fallback_rate: requests ? fallbacks / requests : 0 });
      for (const name of providers) {
        const p = live?.providers.get(name);
        const sorted = p ? [...p.latencies].sort((x, y) => x - y) : [];
        byProvider[name]!.push({ t: start, requests: p?.requests ?? 0, error_rate: p?.requests ? p.errors / p.requests : 0, p50_ms: quantile(sorted, 0.5), p99_ms: quantile(sorted, 0.99) });
      }
    }
    totals.error_rate = totals.requests ? totals.errors / totals.requests : 0;
    totals.fallback_rate = totals.requests ? totals.fallbacks / totals.requests : 0;
    return { bucket_ms: BUCKET_MS, from: first, to: now, totals, points, by_provider: byProvider };
  }
}
