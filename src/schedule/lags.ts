import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';

/**
 * Each schedule's lag as of its latest fired job (tick → job accepted, seconds), read from
 * Redis at scrape time: the same figure whichever process fired it.
 */
export async function scheduleLags(
  redis: Redis,
  keys: Keys,
): Promise<{ schedule: string; seconds: number }[]> {
  const index = await redis.hgetall(keys.scheduleIndex());
  const entries = Object.entries(index);
  const lags = await Promise.all(
    entries.map(([id, queue]) => redis.hget(keys.schedule(queue, id), 'lagMs')),
  );
  return entries.flatMap(([schedule], i) =>
    lags[i] == null ? [] : [{ schedule, seconds: Number(lags[i]) / 1000 }],
  );
}
