import type { Redis } from 'ioredis';
import { JOB_ID_RE, queueOfJobId, runScript, type Keys } from '../redis/index.js';
import { cancelJob } from './admin.js';

/**
 * Bulk actions on jobs picked by id (POST /api/jobs/actions, the console's jobs page): each id
 * is answered on its own, acted on or skipped with the reason; one id's problem never fails
 * the others.
 */

export const JOB_ACTIONS = ['retry', 'cancel', 'delete'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** Most ids one call takes. */
export const MAX_ACTION_IDS = 500;

export interface ActionResult {
  readonly id: string;
  readonly outcome: 'acted' | 'skipped';
  /** Why it was skipped (a sentence for people). */
  readonly reason?: string;
  /** A cancelled job that was running: the worker that holds it (to be told to abort). */
  readonly workedBy?: string;
}

const NOT_FOUND = 'not found (never existed, or its record expired)';

function groupByQueue(ids: readonly string[]): Map<string, string[]> {
  const byQueue = new Map<string, string[]>();
  for (const id of ids) {
    const queue = queueOfJobId(id)!;
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), id]);
  }
  return byQueue;
}

/** retry: failed jobs (dead letters) back to their queue with fresh attempts (revive.lua). */
async function retry(redis: Redis, keys: Keys, queue: string, ids: string[]) {
  const statuses = await redis.pipeline(ids.map((id) => ['hget', keys.job(id), 'status'])).exec();
  const failed = ids.filter((_, i) => statuses?.[i]?.[1] === 'failed');
  const revived = new Set<string>();
  if (failed.length > 0) {
    const reply = (await runScript(
      redis,
      'revive',
      [...keys.queue(queue), ...failed.map((id) => keys.job(id)), keys.webhooks(queue)],
      [Date.now(), ...failed],
    )) as number[];
    failed.forEach((id, i) => reply[i] === 1 && revived.add(id));
  }
  return ids.map((id, i): ActionResult => {
    if (revived.has(id)) return { id, outcome: 'acted' };
    const status = statuses?.[i]?.[1] as string | null;
    const reason =
      status === null
        ? NOT_FOUND
        : status === 'failed'
          ? 'not in the dead letters (retried meanwhile)'
          : `only failed jobs are retried; this one is ${status}`;
    return { id, outcome: 'skipped', reason };
  });
}

/** delete: final jobs removed for good (forget.lua); queued and running ones are left. */
async function remove(redis: Redis, keys: Keys, queue: string, ids: string[]) {
  const reply = (await runScript(
    redis,
    'forget',
    [
      ...keys.queue(queue),
      keys.created(queue),
      keys.webhooks(queue),
      ...ids.map((id) => keys.job(id)),
    ],
    ids,
  )) as (number | string)[];
  return ids.map((id, i): ActionResult => {
    const r = reply[i];
    if (r === 1) return { id, outcome: 'acted' };
    if (r === 0) return { id, outcome: 'skipped', reason: NOT_FOUND };
    return { id, outcome: 'skipped', reason: `not final (${String(r)}): cancel it first` };
  });
}

async function cancel(redis: Redis, keys: Keys, queue: string, ids: string[]) {
  return Promise.all(
    ids.map(async (id): Promise<ActionResult> => {
      const { outcome, workedBy } = await cancelJob(redis, keys, queue, id);
      if (outcome === 'missing') return { id, outcome: 'skipped', reason: NOT_FOUND };
      if (outcome === 'final') return { id, outcome: 'skipped', reason: 'final already' };
      return workedBy ? { id, outcome: 'acted', workedBy } : { id, outcome: 'acted' };
    }),
  );
}

/**
 * Runs an action on each id, in the order given (duplicates answered once each). A malformed
 * id is skipped; the others are acted on per queue, each queue's in one script call where the
 * action allows.
 */
export async function actOnJobs(
  redis: Redis,
  keys: Keys,
  action: JobAction,
  ids: readonly string[],
): Promise<ActionResult[]> {
  const unique = [...new Set(ids)];
  const wellFormed = unique.filter((id) => JOB_ID_RE.test(id));
  const results = new Map<string, ActionResult>();
  const run = { retry, cancel, delete: remove }[action];
  await Promise.all(
    [...groupByQueue(wellFormed)].map(async ([queue, queueIds]) => {
      for (const r of await run(redis, keys, queue, queueIds)) results.set(r.id, r);
    }),
  );
  return unique.map(
    (id) => results.get(id) ?? { id, outcome: 'skipped', reason: 'malformed callback id' },
  );
}
