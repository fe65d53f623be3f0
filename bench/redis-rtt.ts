/**
 * What one governance reservation costs in Redis round trip alone, without a gateway around it: a
 * redis-server on a free loopback port, the RedisCounterStore the gateway uses, and a PING on a
 * plain ioredis connection for comparison. Each is timed back to back, and again with an idle gap
 * before every call (as between the requests of one client at c=1): on a VM, waking two sleeping
 * processes (this one and Redis) costs more than the round trip itself, and that is what the
 * c=1 "added p50" of governance pays.
 *
 *   node --import tsx bench/redis-rtt.ts              gaps 0, 1 and 2 ms
 *   node --import tsx bench/redis-rtt.ts --gaps 0,5
 */
import { Redis } from 'ioredis';
import { startRedis } from '../test/helpers/redis.js';
import type { CounterCheck } from '../src/governance/counter-store.js';
import { RedisCounterStore } from '../src/governance/redis-counter-store.js';

const arg = process.argv.indexOf('--gaps');
const gaps = (arg > 0 ? process.argv[arg + 1]! : '0,1,2').split(',').map(Number);

const r = await startRedis();
if (!r.ok) throw new Error(`redis-rtt needs redis-server: ${r.reason}`);
const store = new RedisCounterStore({ url: r.redis.url, timeoutMs: 1000, prefix: 'rtt:' });
const plain = new Redis(r.redis.url);
try {
  if (!(await store.waitReady(5000))) throw new Error('redis did not become ready');
  const now = Date.now();
  // The shape of the bench's virtual key: concurrency, a request and a token rate limit, a budget.
  const checks: CounterCheck[] = [
    { key: 'rtt:conc', limit: 1e9, amount: 1, expireAt: now + 600_000 },
    { key: 'rtt:req', limit: 1e9, amount: 1, expireAt: now + 120_000, refreshExpiry: false },
    { key: 'rtt:tok', limit: 1e12, amount: 100, expireAt: now + 120_000, refreshExpiry: false },
    { key: 'rtt:usd', limit: 1e15, amount: 5000, expireAt: now + 3e9, refreshExpiry: false },
  ];
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['PING', () => plain.ping()],
    ['reservation', () => store.reserve(checks, Date.now())],
  ];
  const line = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(0);
    return `p50 ${q(0.5)} µs, p90 ${q(0.9)} µs, p99 ${q(0.99)} µs`;
  };
  for (const gap of gaps) {
    for (const [label, call] of calls) {
      const n = gap > 0 ? 600 : 3000;
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        if (gap > 0) await new Promise((res) => setTimeout(res, gap));
        const t = performance.now();
        await call();
        if (i >= n / 6) xs.push((performance.now() - t) * 1000);
      }
      process.stdout.write(`idle gap ${gap} ms, ${label.padEnd(11)} ${line(xs)}\n`);
    }
  }
} finally {
  await store.close();
  plain.disconnect();
  await r.redis.close();
}
