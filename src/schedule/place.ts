import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The queue a schedule lives in and fires to: its type's only queue, or for a partitioned
 * type the partition picked by a hash of the schedule id (its records and its jobs share that
 * queue's hash tag, so firing is one script in one slot).
 */
export function scheduleQueue(queues: readonly string[], id: string): string {
  if (queues.length <= 1) return queues[0]!;
  return queues[createHash('sha256').update(id).digest().readUInt32BE(0) % queues.length]!;
}

/**
 * The callback id of the job a schedule fires for a tick: `<queue>.` + 16 base64url chars of
 * SHA-256(`<schedule id>\0<tick>`). Whoever fires the tick computes the same id.
 */
export function scheduledJobId(queue: string, scheduleId: string, tick: number): string {
  const digest = createHash('sha256').update(`${scheduleId}\0${tick}`).digest('base64url');
  return `${queue}.${digest.slice(0, 16)}`;
}

/** Redis' clock, ms: every process reads ticks against the same time. */
export async function redisNow(redis: Redis): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}
