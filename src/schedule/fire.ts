import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { JobRegistry } from '../jobs/index.js';
import { queueOfJobId, runScript, typeOfQueue, type Keys } from '../redis/index.js';
import { jobSettings } from '../submit/index.js';
import type { ScheduleDefinition } from './definition.js';
import { scheduledJobId } from './place.js';
import { planFire } from './ticks.js';

export interface FireContext {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly registry: JobRegistry;
  readonly config: Pick<Config, 'resultTtlSec' | 'maxAttempts' | 'backoffMs'>;
  readonly nodeId: string;
}

export type FireOutcome =
  | {
      readonly kind: 'fired';
      readonly id: string;
      readonly tick: number;
      readonly next: number | undefined;
      readonly lagMs: number;
    }
  | { readonly kind: 'skipped'; readonly tick: number; readonly next: number | undefined }
  | { readonly kind: 'refused' }
  /** The type is not one this process knows: a process that knows it fires it. */
  | { readonly kind: 'unknown-type' };

/**
 * Fires the schedule's due tick `due` (its score in the ticks set), as of `now` (Redis'
 * clock): the missed-tick policy picks the tick, schedule-fire enqueues its job and advances
 * the schedule in one step, if no other process did first.
 */
export async function fireDue(
  ctx: FireContext,
  queue: string,
  id: string,
  due: number,
  now: number,
): Promise<FireOutcome> {
  const { redis, keys } = ctx;
  const hash = await redis.hmget(keys.schedule(queue, id), 'def', 'rev', 'lastJob');
  const [json, rev, lastJob] = hash;
  if (!json || !rev) return { kind: 'refused' };
  const def = JSON.parse(json) as ScheduleDefinition;
  const definition = ctx.registry.get(def.type);
  if (definition === undefined || typeOfQueue(queue) !== def.type) return { kind: 'unknown-type' };
  const plan = planFire(def, due, now);
  const jobId = scheduledJobId(queue, id, plan.tick);
  const settings = jobSettings(ctx.config, definition, def.job);
  // The previous job, to tell whether it still runs (overlap: skip); only in this slot.
  const previous = lastJob && queueOfJobId(lastJob) === queue ? lastJob : jobId;
  const reply = (await runScript(
    redis,
    'schedule-fire',
    [
      ...keys.queue(queue),
      keys.job(jobId),
      keys.schedule(queue, id),
      keys.scheduleTicks(queue),
      keys.job(previous),
      keys.controls(queue),
      keys.waiting(queue),
      keys.signal(queue),
      keys.created(queue),
    ],
    [
      now,
      def.type,
      ctx.nodeId,
      jobId,
      JSON.stringify(def.data),
      settings.resultTtlSec,
      settings.maxAttempts,
      JSON.stringify(settings.options),
      0,
      '',
      id,
      due,
      plan.tick,
      rev,
      plan.next ?? 0,
      def.overlap,
      plan.missed,
      def.limit ?? 0,
      // enqueue.lua's placement: the type's priority (queue controls), '' for a plain job.
      definition.priority ? String(definition.priority) : '',
    ],
  )) as number[];
  if (reply[0] === 1)
    return { kind: 'fired', id: jobId, tick: plan.tick, next: plan.next, lagMs: now - plan.tick };
  if (reply[0] === 2) return { kind: 'skipped', tick: plan.tick, next: plan.next };
  return { kind: 'refused' };
}
