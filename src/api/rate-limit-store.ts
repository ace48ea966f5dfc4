import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { runScript, type Keys } from '../redis/index.js';
import { withRedis } from '../http/index.js';

/**
 * The rate limiter's counters in Redis (rate-limit.lua), so the limit holds across every API
 * process on it: with `--procs N` or N replicas each process counting alone let N times the
 * limit through. Costs one script call per request, and only with a rate limit set.
 *
 * A call goes through withRedis: with Redis away it fails at once (or after timeoutMs) instead
 * of waiting in the connection's queue, and the limiter, told to skip on error, lets the
 * request through: its route then answers 503 if it needs Redis, or serves it if it does not.
 */
class RedisRateLimitStore implements FastifyRateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly timeoutMs: number,
  ) {}

  incr(
    bucket: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindowMs: number,
  ): void {
    withRedis(this.redis, this.timeoutMs, () =>
      runScript(this.redis, 'rate-limit', [this.keys.rateLimit(bucket)], [timeWindowMs]),
    ).then(
      (reply) => {
        const [current, ttl] = reply as [number, number];
        callback(null, { current, ttl });
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** One bucket per client across all routes: no route has a limit of its own. */
  child(): FastifyRateLimitStore {
    return this;
  }
}

/** The store class the plugin instantiates (it calls `new store(options)`). */
export function redisRateLimitStore(
  redis: Redis,
  keys: Keys,
  timeoutMs: number,
): FastifyRateLimitStoreCtor {
  return class extends RedisRateLimitStore {
    constructor() {
      super(redis, keys, timeoutMs);
    }
  };
}
