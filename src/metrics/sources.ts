import type { Redis } from 'ioredis';
import { readMembers } from '../cluster/index.js';
import { queueCounts } from '../queue/index.js';
import type { Keys } from '../redis/index.js';
import type { ScrapeSources } from './metrics.js';

/**
 * Queue depth and members read from Redis at scrape time. Every process that shows them reads
 * the same shared figures: aggregate them in Prometheus with max(), not sum().
 */
export function redisSources(
  redis: Redis,
  keys: Keys,
  types: () => readonly string[],
): ScrapeSources {
  return {
    async queueDepth() {
      const rows = await Promise.all(
        types().map(async (type) => {
          const [counts, delayed, dead] = await Promise.all([
            queueCounts(redis, keys, type),
            redis.zcard(keys.delayed(type)),
            redis.zcard(keys.dead(type)),
          ]);
          return [
            { type, state: 'waiting', count: counts.waiting },
            { type, state: 'active', count: counts.active },
            { type, state: 'delayed', count: delayed },
            { type, state: 'dead', count: dead },
          ];
        }),
      );
      return rows.flat();
    },
    async nodes() {
      const byRole = new Map<string, number>();
      for (const m of await readMembers(redis, keys))
        byRole.set(m.role, (byRole.get(m.role) ?? 0) + 1);
      return [...byRole].map(([role, count]) => ({ role, count }));
    },
  };
}
