import type { Redis } from 'ioredis';
import { GROUP, runScript, type Keys } from '../redis/index.js';
import type { JobView } from '../job-schema/index.js';
import { jobFromHash } from './job-record.js';

export type CancelOutcome = 'cancelled' | 'running' | 'final' | 'missing';

/** Cancels a job (cancel.lua); for a running one, also says which worker holds it. */
export async function cancelJob(
  redis: Redis,
  keys: Keys,
  queue: string,
  id: string,
): Promise<{ outcome: CancelOutcome; workedBy?: string }> {
  const [outcome, workedBy] = (await runScript(
    redis,
    'cancel',
    [...keys.queue(queue), keys.job(id), ...keys.finalKeys(queue)],
    [Date.now(), GROUP, id],
  )) as [CancelOutcome, string | null];
  return workedBy ? { outcome, workedBy } : { outcome };
}

const PRUNE_BATCH = 100;

/**
 * Removes from the dead set the letters whose record has expired (prune-dead.lua), oldest
 * first, until a batch holds a live one: records expire in the order they failed, so the live
 * letters follow. Answers how many were removed. In steady state one ZRANGE and one short
 * script call.
 */
export async function pruneDead(redis: Redis, keys: Keys, queue: string): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await redis.zrange(keys.dead(queue), 0, PRUNE_BATCH - 1);
    if (ids.length === 0) return total;
    const removed = (await runScript(
      redis,
      'prune-dead',
      [keys.dead(queue), ...ids.map((id) => keys.job(id))],
      ids,
    )) as number;
    total += removed;
    if (removed < ids.length) return total;
  }
}

/** How many live dead letters a queue has (expired ones pruned first). */
export async function countDead(redis: Redis, keys: Keys, queue: string): Promise<number> {
  await pruneDead(redis, keys, queue);
  return redis.zcard(keys.dead(queue));
}

export interface DeadPage {
  readonly total: number;
  readonly jobs: JobView[];
}

/** Dead letters of a queue, newest first. Entries whose record expired are dropped. */
export async function listDead(
  redis: Redis,
  keys: Keys,
  queue: string,
  offset: number,
  limit: number,
): Promise<DeadPage> {
  await pruneDead(redis, keys, queue);
  const ids = await redis.zrevrange(keys.dead(queue), offset, offset + limit - 1);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.job(id));
  const hashes = (await pipeline.exec()) ?? [];
  const jobs: JobView[] = [];
  const expired: string[] = [];
  ids.forEach((id, i) => {
    const view = jobFromHash(id, (hashes[i]?.[1] ?? {}) as Record<string, string>);
    if (view) jobs.push(view);
    else expired.push(id);
  });
  if (expired.length > 0) await redis.zrem(keys.dead(queue), ...expired);
  return { total: await redis.zcard(keys.dead(queue)), jobs };
}

const DEAD_BATCH = 500;

async function eachDeadBatch(
  redis: Redis,
  keys: Keys,
  queue: string,
  script: 'revive' | 'bury',
  ids: readonly string[] | undefined,
  until: number,
): Promise<number> {
  let total = 0;
  if (!ids) await pruneDead(redis, keys, queue);
  else if (ids.length > 0) {
    // Only letters dead by `until`: one that died since (revived meanwhile, failed again)
    // is not this call's.
    const scores = await redis.zmscore(keys.dead(queue), ...ids);
    ids = ids.filter((_, i) => scores[i] !== null && Number(scores[i]) <= until);
    if (ids.length === 0) return 0;
  }
  for (;;) {
    const batch =
      ids ?? (await redis.zrangebyscore(keys.dead(queue), '-inf', until, 'LIMIT', 0, DEAD_BATCH));
    if (batch.length === 0) return total;
    const reply = (await runScript(
      redis,
      script,
      [
        ...keys.queue(queue),
        ...batch.map((id) => keys.job(id)),
        ...(script === 'revive' ? [keys.webhooks(queue)] : []),
      ],
      script === 'revive' ? [Date.now(), ...batch] : batch,
    )) as number[];
    total += reply.filter((r) => r === 1).length;
    // Every id of the batch left the dead set (revived, purged, or found expired), so the
    // next batch is new letters: go on until none are left, whatever this batch did.
    if (ids || batch.length < DEAD_BATCH) return total;
  }
}

/**
 * Puts dead letters back in the queue with fresh attempts: the given ids, or all of them; of
 * those, only the letters dead by `until` (ms since the epoch; default now): a resend of the
 * same call with the same `until` never revives a job twice.
 */
export function reviveDead(
  redis: Redis,
  keys: Keys,
  queue: string,
  ids?: readonly string[],
  until = Date.now(),
): Promise<number> {
  return eachDeadBatch(redis, keys, queue, 'revive', ids, until);
}

/** Deletes dead letters for good: the given ids, or all of them. */
export function buryDead(
  redis: Redis,
  keys: Keys,
  queue: string,
  ids?: readonly string[],
): Promise<number> {
  return eachDeadBatch(redis, keys, queue, 'bury', ids, Number.POSITIVE_INFINITY);
}
