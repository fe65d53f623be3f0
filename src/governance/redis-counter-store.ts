/**
 * Counters in Redis, shared by every replica: a request's checks are one Lua script (check all,
 * then add to all, atomically), its settlement another, each one round trip through ioredis.
 * Commands fail at once while the connection is down (no offline queue) and time out after
 * `timeout_ms`, so a dead Redis never holds a request; ioredis keeps reconnecting in the background.
 */
import { Redis } from 'ioredis';
import type { CounterAdjust, CounterCheck, CounterStore, ReserveResult } from './counter-store.js';

/** KEYS: counters. ARGV: per key limit, amount, ttl ms (0: no expiry). Returns {ok, failedIndex, values...}. */
const RESERVE = `
local n = #KEYS
local vals = {}
for i = 1, n do
  local v = tonumber(redis.call('GET', KEYS[i]) or '0')
  vals[i] = v
  local limit = tonumber(ARGV[(i - 1) * 3 + 1])
  local amount = tonumber(ARGV[(i - 1) * 3 + 2])
  if amount > 0 and v + amount > limit then
    return {0, i, unpack(vals)}
  end
end
for i = 1, n do
  local amount = tonumber(ARGV[(i - 1) * 3 + 2])
  local ttl = tonumber(ARGV[(i - 1) * 3 + 3])
  if amount > 0 then vals[i] = redis.call('INCRBY', KEYS[i], amount) end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return {1, 0, unpack(vals)}
`;

/** KEYS: counters. ARGV: deltas. A counter whose window ended is not recreated; none goes below 0. */
const ADJUST = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local v = redis.call('INCRBY', KEYS[i], ARGV[i])
    if v < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
  end
end
return 1
`;

interface ScriptedRedis extends Redis {
  syReserve(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
  syAdjust(numKeys: number, ...args: Array<string | number>): Promise<number>;
}

export interface RedisCounterStoreOptions {
  url: string;
  timeoutMs: number;
  /** Prefix of the replica registry key. */
  prefix: string;
  /** Called on every change between reachable and not (the caller logs and meters transitions). */
  onStatus?: (up: boolean, err?: Error) => void;
  /** How often this replica says it is alive (for fail_open's limit / replicas). Default 5000 ms. */
  heartbeatMs?: number;
}

export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis';
  private readonly redis: ScriptedRedis;
  private readonly replicaId = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly heartbeat: NodeJS.Timeout;
  private seen = 1;
  private closed = false;

  constructor(private readonly o: RedisCounterStoreOptions) {
    this.redis = new Redis(o.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: o.timeoutMs,
      connectTimeout: Math.max(1000, o.timeoutMs * 4),
      retryStrategy: (times) => Math.min(50 * times, 1000),
      lazyConnect: false,
    }) as ScriptedRedis;
    this.redis.defineCommand('syReserve', { lua: RESERVE });
    this.redis.defineCommand('syAdjust', { lua: ADJUST });
    this.redis.on('ready', () => {
      o.onStatus?.(true);
      void this.beat();
    });
    this.redis.on('close', () => {
      if (!this.closed) o.onStatus?.(false, new Error('connection to Redis closed'));
    });
    // ioredis reports connection errors here; without a listener Node would print them.
    this.redis.on('error', (err: Error) => {
      if (!this.closed) o.onStatus?.(false, err);
    });
    this.heartbeat = setInterval(() => void this.beat(), o.heartbeatMs ?? 5000);
    this.heartbeat.unref();
  }

  /** Whether the connection is up now (commands are sent only then). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Resolves when connected, or after `ms` (whichever first). */
  waitReady(ms: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.redis.off('ready', on);
        resolve(false);
      }, ms);
      const on = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.redis.once('ready', on);
    });
  }

  /** Replicas that said they were alive in the last three heartbeats (at least 1). */
  get replicasSeen(): number {
    return this.seen;
  }

  private async beat(): Promise<void> {
    if (!this.ready) return;
    const key = `${this.o.prefix}replicas`;
    const now = Date.now();
    const window = 3 * (this.o.heartbeatMs ?? 5000);
    try {
      const r = await this.redis.multi().zadd(key, now, this.replicaId).zremrangebyscore(key, '-inf', now - window).pexpire(key, window).zcard(key).exec();
      const count = Number(r?.[3]?.[1] ?? 1);
      this.seen = Math.max(1, count);
    } catch {
      // The next request's counters report the outage.
    }
  }

  async reserve(checks: readonly CounterCheck[], now: number): Promise<ReserveResult> {
    const args: Array<string | number> = [];
    for (const c of checks) args.push(c.key);
    for (const c of checks) args.push(c.limit, c.amount, c.expireAt === Number.POSITIVE_INFINITY ? 0 : Math.max(1, Math.ceil(c.expireAt - now)));
    const r = await this.redis.syReserve(checks.length, ...args);
    const values = r.slice(2).map(Number);
    return r[0] === 1 ? { ok: true, values } : { ok: false, index: Number(r[1]) - 1, values };
  }

  async adjust(adjusts: readonly CounterAdjust[]): Promise<void> {
    if (adjusts.length === 0) return;
    await this.redis.syAdjust(adjusts.length, ...adjusts.map((a) => a.key), ...adjusts.map((a) => Math.round(a.delta)));
  }

  async read(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const r = await this.redis.mget(...keys);
    return r.map((v) => (v === null ? 0 : Number(v)));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.redis.disconnect();
  }
}
