import type { Redis } from 'ioredis';
import { WorkmeshError } from '../errors/index.js';

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
export async function withRedis<T>(
  redis: Redis,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  if (redis.status !== 'ready') throw unavailable();
  let entry: Waiting | undefined;
  const timeout = new Promise<never>((_, reject) => {
    entry = { deadline: performance.now() + timeoutMs, reject };
  });
  waiting.add(entry!);
  sweeper ??= setInterval(sweep, SWEEP_MS).unref();
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    // maxmemory reached with noeviction: a state to wait out, not a server bug.
    if (err instanceof Error && /\bOOM\b/.test(err.message)) {
      throw new WorkmeshError(
        'WM_ERR_REDIS_FULL',
        'Redis is out of memory; nothing was written. Retry later',
      );
    }
    throw err;
  } finally {
    waiting.delete(entry!);
  }
}
