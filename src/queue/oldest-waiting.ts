import type { Redis } from 'ioredis';
import { GROUP, type Keys } from '../redis/index.js';

/** The consumer group's last delivered entry id, or undefined when the group is not there. */
function lastDelivered(groups: unknown): string | undefined {
  for (const g of Array.isArray(groups) ? (groups as unknown[][]) : []) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) fields.set(String(g[i]), g[i + 1]);
    if (fields.get('name') === GROUP) return String(fields.get('last-delivered-id'));
  }
  return undefined;
}

/**
 * When the oldest job waiting to start in a queue was queued (ms since the epoch), or
 * undefined when none waits. A few reads per queue, whatever its depth: the first entry of the
 * stream after the group's last delivered one (its id is the time it was added), and the
 * createdAt of the head of a gated queue's waiting set (the head of the highest priority
 * band: with mixed priorities an older low-priority job may wait behind it).
 */
export async function oldestWaitingSince(
  redis: Redis,
  keys: Keys,
  queue: string,
): Promise<number | undefined> {
  const stream = keys.stream(queue);
  const [groups, head] = await Promise.all([
    redis.xinfo('GROUPS', stream).catch(() => []),
    redis.zrange(keys.waiting(queue), 0, 0),
  ]);
  const last = lastDelivered(groups);
  const [entries, createdAt] = await Promise.all([
    redis.xrange(stream, last === undefined ? '-' : `(${last}`, '+', 'COUNT', 1),
    head[0] === undefined ? null : redis.hget(keys.job(head[0]), 'createdAt'),
  ]);
  const times: number[] = [];
  const sid = entries[0]?.[0];
  if (sid !== undefined) times.push(Number(sid.slice(0, sid.indexOf('-'))));
  if (createdAt) times.push(Number(createdAt));
  return times.length === 0 ? undefined : Math.min(...times);
}
