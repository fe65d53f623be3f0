/**
 * A Redis connection for stores the request path must never wait on (the exact cache, governance's
 * counters): no offline queue and no retries per command, so a Redis that is down or slow makes a
 * command fail within `timeoutMs`, while the connection itself keeps reconnecting behind it.
 */
import type * as IORedis from 'ioredis';
import type { Redis } from 'ioredis';
import { loadOnUse } from './load-on-use.js';

const ioredis = loadOnUse<typeof IORedis>('ioredis');

export interface FailFastRedisOptions {
  url: string;
  timeoutMs: number;
  /** Called on every change between reachable and not. */
  onStatus?: (up: boolean, err?: Error) => void;
  /** True once the owner closed the connection on purpose: its close is then not reported. */
  isClosed: () => boolean;
}

export function openFailFastRedis(o: FailFastRedisOptions): Redis {
  const redis = new (ioredis().Redis)(o.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: o.timeoutMs,
    connectTimeout: Math.max(1000, o.timeoutMs * 4),
    retryStrategy: (times) => Math.min(50 * times, 1000),
  });
  redis.on('ready', () => o.onStatus?.(true));
  redis.on('close', () => {
    if (!o.isClosed()) o.onStatus?.(false, new Error('connection to Redis closed'));
  });
  // ioredis reports connection errors here; without a listener Node would print them.
  redis.on('error', (err: Error) => {
    if (!o.isClosed()) o.onStatus?.(false, err);
  });
  return redis;
}

/** Resolves true when `redis` is connected, or false after `ms` (whichever first). */
export function waitRedisReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const on = () => {
      clearTimeout(t);
      resolve(true);
    };
    const t = setTimeout(() => {
      redis.off('ready', on);
      resolve(false);
    }, ms);
    redis.once('ready', on);
  });
}
