import type { Redis } from 'ioredis';
import { readMembers } from '../cluster/index.js';
import { oldestWaitingSince, queueFigures, readQueueState } from '../queue/index.js';
import { typeOfQueue, type Keys } from '../redis/index.js';
import type { ScrapeSources } from './metrics.js';

/**
 * Queue depth and members read from Redis at scrape time. Every process that shows them reads
 * the same shared figures: aggregate them in Prometheus with max(), not sum().
 */
export function redisSources(
  redis: Redis,
  keys: Keys,
  queues: () => readonly string[],
): ScrapeSources {
  return {
    async queueDepth() {
      // The partitions of a type add up to the type's depth.
      const depth = new Map<string, number>();
      await Promise.all(
        queues().map(async (queue) => {
          const counts = await queueFigures(redis, keys, queue);
          const type = typeOfQueue(queue);
          const add = (state: string, n: number): void => {
            const k = `${type}\n${state}`;
            depth.set(k, (depth.get(k) ?? 0) + n);
          };
          add('waiting', counts.waiting);
          add('active', counts.active);
          add('delayed', counts.delayed);
          add('dead', counts.dead);
        }),
      );
      return [...depth].map(([k, count]) => {
        const [type = '', state = ''] = k.split('\n');
        return { type, state, count };
      });
    },
    async queueStates() {
      const byType = new Map<string, string[]>();
      for (const queue of queues()) {
        const type = typeOfQueue(queue);
        byType.set(type, [...(byType.get(type) ?? []), queue]);
      }
      return Promise.all([...byType].map(([type, qs]) => readQueueState(redis, keys, type, qs)));
    },
    async oldestWaiting() {
      const now = Date.now();
      const oldest = new Map<string, number>();
      await Promise.all(
        queues().map(async (queue) => {
          const type = typeOfQueue(queue);
          const since = await oldestWaitingSince(redis, keys, queue);
          const age = since === undefined ? 0 : Math.max(0, (now - since) / 1000);
          oldest.set(type, Math.max(oldest.get(type) ?? 0, age));
        }),
      );
      return [...oldest].map(([type, seconds]) => ({ type, seconds }));
    },
    async typeWorkers() {
      const count = new Map<string, number>();
      for (const queue of queues()) count.set(typeOfQueue(queue), 0);
      for (const m of await readMembers(redis, keys)) {
        if (m.role !== 'worker') continue;
        for (const type of new Set(m.offers.types.map(typeOfQueue))) {
          if (count.has(type)) count.set(type, count.get(type)! + 1);
        }
      }
      return [...count].map(([type, n]) => ({ type, count: n }));
    },
    async nodes() {
      const byRole = new Map<string, number>();
      for (const m of await readMembers(redis, keys))
        byRole.set(m.role, (byRole.get(m.role) ?? 0) + 1);
      return [...byRole].map(([role, count]) => ({ role, count }));
    },
  };
}
