import type { Redis } from 'ioredis';
import { WorkmeshError } from '../errors/index.js';

/**
 * Runs a Redis call for a request, or fails fast with 503 when Redis is away: at once when the
 * connection is down, after timeoutMs when Redis does not answer. Requests never hang.
 */
export async function withRedis<T>(
  redis: Redis,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const unavailable = (): WorkmeshError =>
    new WorkmeshError('WM_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; retry later');
  if (redis.status !== 'ready') throw unavailable();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable()), timeoutMs);
  });
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
    clearTimeout(timer);
  }
}
