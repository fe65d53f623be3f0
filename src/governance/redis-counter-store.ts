/**
 * Counters in Redis, shared by every replica. Every reservation and settlement queued during one
 * turn of the event loop goes to Redis as one script call (EVALSHA, through ioredis): the script
 * runs the operations in order, each one atomically — a reservation checks all its limits and
 * adds to all of them only if every one fits — so a request still makes one atomic operation, in
 * one round trip, for all its checks, and a busy replica sends one command for many requests
 * (its settlements ride along with the next reservations). Commands fail at once while the
 * connection is down (no offline queue) and time out after `timeout_ms`, so a dead Redis never
 * holds a request; ioredis keeps reconnecting in the background.
 */
import type { Redis } from 'ioredis';
import { openFailFastRedis, waitRedisReady } from '../storage/fail-fast-redis.js';
import type { CounterAdjust, CounterCheck, CounterStore, ReserveResult } from './counter-store.js';

/**
 * ARGV[1]: the number of operations, ARGV[2]: this replica's id, ARGV[3]: the oldest heartbeat
 * (epoch ms) of a replica still taken for alive; KEYS[1]: the replica registry (a sorted set of
 * replica ids by their last heartbeat). Then, per operation, its kind ('r' reserve, 'a' adjust),
 * its number of keys n, and its arguments; KEYS[2..] hold every operation's keys in order.
 * - reserve, per key: limit, amount, ttl ms (> 0: set on every reservation; < 0: set when the
 *   reservation creates the counter; 0: never expires), and mode: 'n' a counter, 'c' requests in
 *   flight (a hash of per-replica counts; see inflight). Nothing is added unless every key fits:
 *   the script adds, and takes back what it added when a key goes over its limit (cheaper than
 *   reading every counter first when, as nearly always, everything fits).
 * - adjust, per key: delta, and '1' when the counter expires, '0' when it never does, 'c' for
 *   requests in flight. A counter whose window ended is not recreated; none goes below 0. One
 *   INCRBY per counter: its result tells the rare counter that may be gone (it then held the
 *   delta alone) from the rest.
 * Returns, per reserve in order: the 1-based index of the first key that did not fit (0: all
 * reserved), the number of values, then the values (after the reservation, or read up to the
 * failing key).
 */
const PRELUDE = `
local me = ARGV[2]
local alive = tonumber(ARGV[3])
local registry = KEYS[1]
-- Requests in flight: each replica counts its own in a field of the hash. Replicas that stopped
-- saying they are alive (a crash, a lost zone) are not counted, and their fields are dropped, so
-- their slots come free within a few heartbeats instead of when the hash expires.
local function inflight(key)
  local f = redis.call('HGETALL', key)
  local sum = 0
  for i = 1, #f, 2 do
    local id = f[i]
    local seen = false
    if id == me then seen = true else
      local score = redis.call('ZSCORE', registry, id)
      seen = score and tonumber(score) >= alive
    end
    if seen then sum = sum + tonumber(f[i + 1]) else redis.call('HDEL', key, id) end
  end
  return sum
end
`;

const BATCH = `${PRELUDE}
local out = {}
local a = 4
local k = 1
for _ = 1, tonumber(ARGV[1]) do
  local kind = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  if kind == 'a' then
    for j = 1, n do
      local key = KEYS[k + j]
      local d = tonumber(ARGV[a])
      local flag = ARGV[a + 1]
      if flag == 'c' then
        if redis.call('HINCRBY', key, me, d) <= 0 then redis.call('HDEL', key, me) end
      else
        local v = redis.call('INCRBY', key, d)
        -- v == d: the counter held 0 or was gone. An expiring counter always has its expiry, so one
        -- without is the one INCRBY just made: a window that ended is not recreated.
        if v == d and flag == '1' and redis.call('PTTL', key) == -1 then
          redis.call('DEL', key)
        elseif v < 0 then
          redis.call('SET', key, 0, 'KEEPTTL')
        end
      end
      a = a + 2
    end
  else
    -- Add first, undo if one does not fit (the script is atomic: nobody sees the undone state).
    local vals = {}
    local failed = 0
    for j = 1, n do
      local key = KEYS[k + j]
      local limit = tonumber(ARGV[a + (j - 1) * 4])
      local amount = tonumber(ARGV[a + (j - 1) * 4 + 1])
      if ARGV[a + (j - 1) * 4 + 3] == 'c' then
        -- Checked before it is added: on a refusal the count stays as it was.
        local v = inflight(key)
        if amount > 0 and v + amount > limit then
          vals[j] = v + amount
          failed = j
          break
        end
        if amount > 0 then redis.call('HINCRBY', key, me, amount) end
        vals[j] = v + amount
      elseif amount > 0 then
        local v = redis.call('INCRBY', key, amount)
        vals[j] = v
        if v > limit then
          failed = j
          break
        end
      else
        vals[j] = tonumber(redis.call('GET', key) or '0')
      end
    end
    if failed > 0 then
      for j = 1, failed do
        local amount = tonumber(ARGV[a + (j - 1) * 4 + 1])
        if amount > 0 then
          local key = KEYS[k + j]
          if ARGV[a + (j - 1) * 4 + 3] == 'c' then
            if j < failed and redis.call('HINCRBY', key, me, -amount) <= 0 then redis.call('HDEL', key, me) end
          -- A counter this reservation created goes away again (it has no expiry yet).
          elseif vals[j] == amount then redis.call('DEL', key) else redis.call('DECRBY', key, amount) end
          vals[j] = vals[j] - amount
        end
      end
    else
      for j = 1, n do
        local ttl = tonumber(ARGV[a + (j - 1) * 4 + 2])
        if ttl > 0 then
          redis.call('PEXPIRE', KEYS[k + j], ttl)
        elseif ttl < 0 and vals[j] == tonumber(ARGV[a + (j - 1) * 4 + 1]) then
          redis.call('PEXPIRE', KEYS[k + j], -ttl)
        end
      end
    end
    out[#out + 1] = failed
    out[#out + 1] = #vals
    for j = 1, #vals do out[#out + 1] = vals[j] end
    a = a + n * 4
  end
  k = k + n
end
return out
`;

/** Same header as BATCH (ARGV[1] unused); returns each key's value: a counter's, or the requests in flight of a live replica. */
const READ = `${PRELUDE}
local out = {}
for j = 2, #KEYS do
  local key = KEYS[j]
  if redis.call('TYPE', key).ok == 'hash' then out[#out + 1] = inflight(key) else out[#out + 1] = tonumber(redis.call('GET', key) or '0') end
end
return out
`;

/** At most this many operations in one script call (a script blocks Redis while it runs). */
const MAX_BATCH_OPS = 128;
/**
 * A settlement waits at most this long for a reservation to ride along with (the next request of
 * a busy replica comes sooner): one Redis wake-up per request instead of two. Waiting only keeps
 * a reservation a little longer than needed, which errs on the safe side.
 */
const SETTLE_DELAY_MS = 5;

interface ReserveOp {
  kind: 'r';
  checks: readonly CounterCheck[];
  now: number;
  resolve: (r: ReserveResult) => void;
  reject: (e: unknown) => void;
}

interface AdjustOp {
  kind: 'a';
  adjusts: readonly CounterAdjust[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

type Op = ReserveOp | AdjustOp;

interface ScriptedRedis extends Redis {
  syBatch(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
  syRead(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
}

export interface RedisCounterStoreOptions {
  url: string;
  timeoutMs: number;
  /** Prefix of the replica registry key. */
  prefix: string;
  /** Called on every change between reachable and not (the caller logs and meters transitions). */
  onStatus?: (up: boolean, err?: Error) => void;
  /** How often this replica says it is alive (fail_open's shares; in-flight counts of live replicas). Default 5000 ms. */
  heartbeatMs?: number;
}

export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis';
  private readonly redis: ScriptedRedis;
  private readonly replicaId = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly heartbeat: NodeJS.Timeout;
  private seen = 1;
  private closed = false;
  private queue: Op[] = [];
  private flushScheduled = false;
  private settleTimer: NodeJS.Timeout | undefined;
  private readonly flushNow = () => this.flush();

  constructor(private readonly o: RedisCounterStoreOptions) {
    this.redis = openFailFastRedis({ url: o.url, timeoutMs: o.timeoutMs, onStatus: o.onStatus, isClosed: () => this.closed }) as ScriptedRedis;
    this.redis.defineCommand('syBatch', { lua: BATCH });
    this.redis.defineCommand('syRead', { lua: READ });
    this.redis.on('ready', () => void this.beat());
    this.heartbeat = setInterval(() => void this.beat(), o.heartbeatMs ?? 5000);
    this.heartbeat.unref();
  }

  /** Whether the connection is up now (commands are sent only then). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Resolves when connected, or after `ms` (whichever first). */
  waitReady(ms: number): Promise<boolean> {
    return waitRedisReady(this.redis, ms);
  }

  /** Replicas that said they were alive in the last three heartbeats (at least 1). */
  get replicasSeen(): number {
    return this.seen;
  }

  private get registryKey(): string {
    return `${this.o.prefix}replicas`;
  }

  /** How long a replica is taken for alive after its last heartbeat: three heartbeats. */
  private get aliveWindowMs(): number {
    return 3 * (this.o.heartbeatMs ?? 5000);
  }

  private async beat(): Promise<void> {
    if (!this.ready) return;
    const key = this.registryKey;
    const now = Date.now();
    const window = this.aliveWindowMs;
    try {
      const r = await this.redis.multi().zadd(key, now, this.replicaId).zremrangebyscore(key, '-inf', now - window).pexpire(key, window).zcard(key).exec();
      const count = Number(r?.[3]?.[1] ?? 1);
      this.seen = Math.max(1, count);
    } catch {
      // The next request's counters report the outage.
    }
  }

  reserve(checks: readonly CounterCheck[], now: number): Promise<ReserveResult> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'r', checks, now, resolve, reject }));
  }

  adjust(adjusts: readonly CounterAdjust[]): Promise<void> {
    if (adjusts.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue({ kind: 'a', adjusts, resolve, reject }));
  }

  /**
   * Queues an operation: a reservation for the script call at the end of this event-loop turn, a
   * settlement for the next reservation's call or, if none comes, SETTLE_DELAY_MS later.
   */
  private enqueue(op: Op): void {
    this.queue.push(op);
    if (this.queue.length >= MAX_BATCH_OPS) this.flush();
    else if (op.kind === 'r') {
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    } else if (!this.settleTimer && !this.flushScheduled) this.settleTimer = setTimeout(this.flushNow, SETTLE_DELAY_MS);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.settleTimer) {
      clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
    }
    const ops = this.queue;
    if (ops.length === 0) return;
    this.queue = [];
    const keys: string[] = [this.registryKey];
    const argv: Array<string | number> = [ops.length, this.replicaId, Date.now() - this.aliveWindowMs];
    for (const op of ops) {
      if (op.kind === 'r') {
        argv.push('r', op.checks.length);
        for (const c of op.checks) {
          keys.push(c.key);
          const ttl = c.expireAt === Number.POSITIVE_INFINITY ? 0 : Math.max(1, Math.ceil(c.expireAt - op.now));
          // A counter that expires at its window's end needs its expiry set once, when created;
          // one that expires after its last use (concurrency) on every reservation.
          argv.push(c.limit, c.amount, c.refreshExpiry === false ? -ttl : ttl, c.perReplica ? 'c' : 'n');
        }
      } else {
        argv.push('a', op.adjusts.length);
        for (const a of op.adjusts) {
          keys.push(a.key);
          argv.push(Math.round(a.delta), a.perReplica ? 'c' : a.expires ? 1 : 0);
        }
      }
    }
    this.redis.syBatch(keys.length, ...keys, ...argv).then(
      (reply) => {
        let i = 0;
        for (const op of ops) {
          if (op.kind === 'a') {
            op.resolve();
            continue;
          }
          const failed = Number(reply[i]);
          const n = Number(reply[i + 1]);
          const values = new Array<number>(n);
          for (let j = 0; j < n; j++) values[j] = Number(reply[i + 2 + j]);
          i += 2 + n;
          op.resolve(failed === 0 ? { ok: true, values } : { ok: false, index: failed - 1, values });
        }
      },
      (err: unknown) => {
        for (const op of ops) op.reject(err);
      },
    );
  }

  async read(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const r = await this.redis.syRead(keys.length + 1, this.registryKey, ...keys, 0, this.replicaId, Date.now() - this.aliveWindowMs);
    return r.map(Number);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    // Settlements still queued are sent, and their answer awaited (bounded), before disconnecting.
    if (this.queue.length > 0 && this.ready) {
      const last = new Promise<void>((resolve) => this.queue.push({ kind: 'a', adjusts: [], resolve, reject: () => resolve() }));
      this.flush();
      await Promise.race([last, new Promise((r) => setTimeout(r, this.o.timeoutMs).unref())]);
    } else this.flush();
    this.redis.disconnect();
  }
}
