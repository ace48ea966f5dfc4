import type { Redis } from 'ioredis';
import { WorkmeshError } from '../errors/index.js';
import { redisErrorOf } from '../redis/index.js';

interface Waiting {
  readonly deadline: number;
  readonly reject: (err: WorkmeshError) => void;
}

/**
 * Calls still waiting for Redis, checked by one sweeping timer instead of a timer per
 * request: at thousands of requests a second, arming and clearing a timer each costs more
 * than the request's own Redis call.
 */
const waiting = new Set<Waiting>();
let sweeper: NodeJS.Timeout | undefined;
const SWEEP_MS = 100;

/** How long a server's request (or readiness probe) waits for Redis before answering 503. */
export const REDIS_TIMEOUT_MS = 2000;

function unavailable(): WorkmeshError {
  return new WorkmeshError('WM_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; retry later');
}

function sweep(): void {
  const now = performance.now();
  for (const w of waiting) {
    if (w.deadline <= now) {
      waiting.delete(w);
      w.reject(unavailable());
    }
  }
  if (waiting.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Runs a Redis call for a request, or fails fast with 503 when Redis is away: at once when the
 * connection is down, within timeoutMs (+100 ms) when Redis does not answer. Requests never
 * hang.
 */
export function withRedis<T>(redis: Redis, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  if (redis.status !== 'ready') return Promise.reject(unavailable());
  // One promise settled by whichever comes first, the call or the sweeper: cheaper per
  // request than an async function racing a timeout promise. (No named closures here: tsx,
  // which the benchmark runs, wraps each in a defineProperty call.)
  return new Promise<T>((resolve, reject) => {
    const entry: Waiting = { deadline: performance.now() + timeoutMs, reject };
    waiting.add(entry);
    sweeper ??= setInterval(sweep, SWEEP_MS).unref();
    let call: Promise<T>;
    try {
      call = fn();
    } catch (err) {
      waiting.delete(entry);
      reject(redisFailure(err));
      return;
    }
    call.then(
      (value) => {
        waiting.delete(entry);
        resolve(value);
      },
      (err: unknown) => {
        waiting.delete(entry);
        reject(redisFailure(err));
      },
    );
  });
}

function redisFailure(err: unknown): Error {
  // An outage, a failover (MOVED, READONLY, CLUSTERDOWN...) or maxmemory: a 503 to retry.
  return redisErrorOf(err) ?? (err instanceof Error ? err : new Error(String(err)));
}
